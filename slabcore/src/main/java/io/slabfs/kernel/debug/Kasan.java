package io.slabfs.kernel.debug;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models: mm/kasan/report.c and mm/kasan/report_generic.c (generic KASAN, x86_64).
 *
 * <p>KASAN for the memory the model can free under a live pointer: a module's memory, which a
 * static-duration {@code struct kmem_cache} lives in (seed 000). Every access the model makes to
 * such memory goes through {@link Region#touch}. When the module's memory is freed its shadow is
 * poisoned {@code KASAN_VMALLOC_INVALID} ({@code f8}), so a later access is reported as {@code BUG:
 * KASAN: vmalloc-out-of-bounds} (report_generic.c {@code get_shadow_bug_type()}), with the size and
 * direction of the access that was made.
 *
 * <p>The report, as 6.12's {@code print_report()} builds it for a module address: the title, the
 * access line, a blank, the stack dump, a blank, {@code The buggy address belongs to the variable:}
 * with {@code %pS} of the address (a bare {@code 0x...}: its module is gone, so kallsyms knows no
 * symbol there), a blank, and the five-row memory state (16 shadow bytes a row, each row 128 bytes
 * of memory, the row addresses 128-byte aligned, the caret under the first bad granule). No
 * physical page section: a module address is not in the direct map, and after {@code vfree()} there
 * is no page. The {@code B} taint is added at the end ({@code end_report()}), after which {@code
 * Disabling lock debugging due to kernel taint} is printed once. What slabfs knows beyond the
 * kernel (which static cache it was) follows on a {@code slabfs:} line.
 *
 * <p>As without {@code kasan_multi_shot}, only the first bad access is printed; later ones are
 * counted.
 */
public final class Kasan {
  /** {@code KASAN_VMALLOC_INVALID}. */
  static final int VMALLOC_INVALID = 0xf8;

  /** {@code META_BYTES_PER_ROW}, {@code KASAN_GRANULE_SIZE}, {@code META_ROWS_AROUND_ADDR}. */
  static final int META_BYTES_PER_ROW = 16;

  static final int GRANULE = 8;
  static final int ROWS_AROUND = 2;

  /** Where a module's data starts in its allocation (after its text). */
  static final int DATA_OFFSET = 0x2000;

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

  /** A region of module memory, e.g. {@code mymod}'s core: text, then data. */
  public Region region(String module, int size) {
    long base = 0xffffffffc0a00000L + NEXT_BASE.getAndIncrement() * 0x10000L;
    return new Region(module, base, Math.max(size, DATA_OFFSET * 2));
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

    /** The region's first address ({@code mod->mem[MOD_TEXT].base} for a module's core). */
    public long base() {
      return base;
    }

    public boolean isFreed() {
      return freed;
    }

    /** {@code module_memory_free()}: vfree, which poisons the shadow {@code f8}. */
    public void free() {
      freed = true;
    }

    /** A read of {@code length} bytes; see the full form. */
    public boolean touch(
        String variable,
        int variableOffset,
        int variableSize,
        int offset,
        int length,
        String function,
        String task,
        int pid,
        List<String> callers) {
      return touch(
          variable,
          variableOffset,
          variableSize,
          offset,
          length,
          false,
          false,
          function,
          task,
          pid,
          callers);
    }

    /**
     * An access of {@code length} bytes ({@code write} or read) at {@code offset} into the variable
     * {@code variable} (placed at {@code variableOffset} in the module's data), by the current task
     * in {@code function} (a kernel thread if {@code kthread}; {@code callers} its frames above
     * {@code function}, innermost first); reports it if the region was freed. Returns whether it
     * was.
     */
    public boolean touch(
        String variable,
        int variableOffset,
        int variableSize,
        int offset,
        int length,
        boolean write,
        boolean kthread,
        String function,
        String task,
        int pid,
        List<String> callers) {
      if (!freed) {
        return false;
      }
      // without kasan_multi_shot only the first bad access is reported
      if (reports.getAndIncrement() > 0) {
        return true;
      }
      long addr = base + DATA_OFFSET + variableOffset + offset;
      List<String> r = new ArrayList<>();
      r.add("==================================================================");
      r.add("BUG: KASAN: vmalloc-out-of-bounds in " + Kallsyms.symbol(function));
      r.add(
          (write ? "Write" : "Read")
              + " of size "
              + length
              + " at addr "
              + Long.toHexString(addr)
              + " by task "
              + task
              + "/"
              + pid);
      r.add("");
      List<String> frames =
          new ArrayList<>(List.of("dump_stack_lvl", "print_report", "kasan_report", function));
      frames.addAll(callers);
      frames.addAll(DumpStack.entryFrames(release, kthread));
      r.addAll(DumpStack.dumpStack(release, dmesg.taint(), 0, pid, task, frames));
      r.add("");
      r.add("The buggy address belongs to the variable:");
      r.add(" 0x" + Long.toHexString(addr));
      r.add("");
      r.addAll(memoryState(addr));
      r.add("==================================================================");
      dmesg.printkRecords(r);
      boolean first =
          !dmesg.taint().isTainted() || !dmesg.taint().print(KernelVersion.of(6, 0)).contains("B");
      dmesg.taint().add('B');
      if (first) {
        dmesg.printk("Disabling lock debugging due to kernel taint");
      }
      dmesg.printk(
          "slabfs: the buggy address was "
              + variable
              + "+0x"
              + Integer.toHexString(offset)
              + "/0x"
              + Integer.toHexString(variableSize)
              + " ["
              + module
              + "], a static kmem_cache whose module memory was freed");
      return true;
    }

    /** {@code print_memory_metadata()}: five rows of shadow around {@code addr}. */
    List<String> memoryState(long addr) {
      long rowBytes = (long) META_BYTES_PER_ROW * GRANULE;
      long row = (addr & -rowBytes) - ROWS_AROUND * rowBytes;
      List<String> out = new ArrayList<>();
      out.add("Memory state around the buggy address:");
      for (int i = -ROWS_AROUND; i <= ROWS_AROUND; i++) {
        StringBuilder sb =
            new StringBuilder(i == 0 ? ">" : " ").append(Long.toHexString(row)).append(": ");
        for (int g = 0; g < META_BYTES_PER_ROW; g++) {
          long a = row + (long) g * GRANULE;
          boolean inRegion = a >= base && a < base + size;
          sb.append(String.format("%02x", inRegion ? VMALLOC_INVALID : 0));
          if (g < META_BYTES_PER_ROW - 1) {
            sb.append(' ');
          }
        }
        out.add(sb.toString());
        if (i == 0) {
          // pr_err("%*c\n", meta_pointer_offset(row, addr), '^')
          int width = 3 + 16 + (int) ((addr - row) / GRANULE) * 3 + 1;
          out.add(" ".repeat(width - 1) + "^");
        }
        row += rowBytes;
      }
      return out;
    }
  }
}
