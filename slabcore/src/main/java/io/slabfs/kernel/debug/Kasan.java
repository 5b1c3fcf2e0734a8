package io.slabfs.kernel.debug;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models: mm/kasan/report.c.
 *
 * <p>KASAN for the memory the model can free under a live pointer: a module's memory (text,
 * data, bss), which a static-duration {@code struct kmem_cache} lives in (seed 000). Every
 * access the model makes to such memory goes through {@link Region#touch}; one made after the
 * region was freed prints the kernel's {@code BUG: KASAN: use-after-free} report and taints
 * the kernel. As without {@code kasan_multi_shot}, only the first bad access is printed;
 * later ones are counted.
 */
public final class Kasan {
  private final Dmesg dmesg;
  private final String release;
  private final AtomicInteger reports = new AtomicInteger();
  private static final AtomicInteger NEXT_BASE = new AtomicInteger();

  public Kasan(Dmesg dmesg, String release) {
    this.dmesg = dmesg;
    this.release = release;
  }

  public int reportCount() {
    return reports.get();
  }

  /** A region of module memory, e.g. {@code mymod}'s core data. */
  public Region region(String module, int size) {
    long base = 0xffffffffc0a00000L + NEXT_BASE.getAndIncrement() * 0x10000L;
    return new Region(module, base, size);
  }

  /** Memory that can be freed while the model still points into it. */
  public final class Region {
    private final String module;
    private final long base;
    private final int size;
    private volatile boolean freed;

    Region(String module, long base, int size) {
      this.module = module;
      this.base = base;
      this.size = size;
    }

    public String module() {
      return module;
    }

    public boolean isFreed() {
      return freed;
    }

    /** {@code module_memory_free()}. */
    public void free() {
      freed = true;
    }

    /**
     * An access of {@code length} bytes at {@code offset} into the variable {@code variable}
     * (placed at {@code variableOffset} in the region), by the current task in {@code
     * function}; reports a use-after-free if the region was freed. Returns whether it was.
     */
    public boolean touch(String variable, int variableOffset, int variableSize, int offset,
        int length, String function, String task, int pid, List<String> callers) {
      if (!freed) {
        return false;
      }
      // without kasan_multi_shot only the first bad access is reported
      if (reports.getAndIncrement() > 0) {
        return true;
      }
      dmesg.taint().add('B');
      long addr = base + variableOffset + offset;
      StringBuilder sb = new StringBuilder();
      sb.append("==================================================================\n");
      sb.append("BUG: KASAN: use-after-free in ").append(symbol(function)).append('\n');
      sb.append("Read of size ").append(length).append(" at addr ")
          .append(Long.toHexString(addr)).append(" by task ").append(task).append('/')
          .append(pid).append("\n\n");
      sb.append("CPU: 0 UID: 0 PID: ").append(pid).append(" Comm: ").append(task)
          .append(' ').append(dmesg.taint()).append(' ').append(release).append(" #1\n");
      sb.append("Hardware name: slabfs simulated machine\nCall Trace:\n <TASK>\n");
      for (String f : List.of("dump_stack_lvl", "print_report", "kasan_report", function)) {
        sb.append(' ').append(symbol(f)).append('\n');
      }
      for (String f : callers) {
        sb.append(' ').append(symbol(f)).append('\n');
      }
      sb.append(" </TASK>\n\n");
      sb.append("The buggy address belongs to the variable:\n");
      sb.append(' ').append(variable).append("+0x").append(Integer.toHexString(offset))
          .append("/0x").append(Integer.toHexString(variableSize)).append(" [").append(module)
          .append("]\n\n");
      sb.append("The buggy address belongs to the virtual mapping at\n");
      sb.append(" [").append(Long.toHexString(base)).append(", ")
          .append(Long.toHexString(base + size)).append(") created by:\n");
      sb.append(" ").append(symbol("load_module")).append("\n\n");
      sb.append("The buggy address belongs to the physical page:\n");
      sb.append("page: refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x10a0b\n");
      sb.append("flags: 0x200000000000000(node=0|zone=2)\npage_type: f8(vmalloc freed)\n\n");
      sb.append("Memory state around the buggy address:\n");
      long line = (addr & ~0xfL) - 0x10;
      sb.append(String.format(" %x: %s%n", line, "fa ".repeat(16).trim()));
      sb.append(String.format(">%x: %s%n", line + 0x10, "fa ".repeat(16).trim()));
      sb.append("    ^\n");
      sb.append("==================================================================\n");
      sb.append("Disabling lock debugging due to kernel taint");
      dmesg.printk(sb.toString());
      return true;
    }
  }

  private static String symbol(String f) {
    return Kallsyms.symbol(f);
  }
}
