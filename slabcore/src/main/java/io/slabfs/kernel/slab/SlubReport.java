package io.slabfs.kernel.slab;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.debug.Warn;
import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * Models: SLUB's report printing in mm/slub.c: {@code slab_err()}/{@code slab_bug()} and {@code
 * list_slab_objects()} of {@code free_partial()} (the {@code Objects remaining} report), and the
 * {@code WARN()}s (kernel/panic.c {@code __warn()}) that mm/slab_common.c and mm/slub.c raise, with
 * the {@code %pS} callers they name.
 */
final class SlubReport {
  private final Dmesg dmesg;
  private final KernelEra era;
  private final Lockdep lockdep;

  SlubReport(Dmesg dmesg, KernelEra era, Lockdep lockdep) {
    this.dmesg = dmesg;
    this.era = era;
    this.lockdep = lockdep;
  }

  /** The function that called {@code function} in the current task, for {@code %pS}. */
  static String callerOf(String function) {
    List<String> frames = Task.current().frames();
    int i = frames.indexOf(function);
    return i >= 0 && i + 1 < frames.size() ? frames.get(i + 1) : "do_syscall_64";
  }

  /** A WARN of the model's own bookkeeping (not a kernel WARN site): a {@code slabfs:} line. */
  void warn(String message, String function) {
    dmesg.printk("BUG: slabfs: " + function + ": " + message);
  }

  /** {@code WARN(1, message)} at {@code file:line} in {@code function}, by the current task. */
  void warn(String message, String function, String file, int line, List<String> callers) {
    Task t = Task.current();
    Warn.warn(
        dmesg,
        new Warn.Context(release(), 0, t.pid(), t.comm(), modulesLinkedIn.get()),
        file,
        line,
        function,
        message,
        callers);
  }

  /** {@code uname -r}. */
  private String release() {
    return era.release() + "-slabfs";
  }

  private io.slabfs.kernel.debug.KernelVersion v() {
    return io.slabfs.kernel.debug.KernelVersion.parse(era.release());
  }

  /** The frames above {@code function} in the current task, innermost first, to the syscall. */
  List<String> callersOf(String function) {
    List<String> frames = Task.current().frames();
    int i = frames.indexOf(function);
    List<String> out = new ArrayList<>(frames.subList(i + 1, frames.size()));
    out.addAll(io.slabfs.kernel.debug.DumpStack.entryFrames(release(), Task.current().isKthread()));
    return out;
  }

  /** {@code print_modules()}'s source, set once modules exist (a higher layer). */
  private volatile java.util.function.Supplier<List<String>> modulesLinkedIn = List::of;

  void setModulesLinkedIn(java.util.function.Supplier<List<String>> modules) {
    this.modulesLinkedIn = modules;
  }

  /**
   * The listing part of {@code free_partial()}: the {@code Objects remaining} report of each
   * partial slab that still has objects, the first {@link #LISTED_SLABS} of them.
   */
  void listRemaining(KmemCache s) {
    List<int[]> slabs = s.partialSlabsInUse(LISTED_SLABS + 1);
    for (int[] slab : slabs.subList(0, Math.min(slabs.size(), LISTED_SLABS))) {
      listSlabObjects(s, slab[0], slab[1], slab[2]);
    }
    if (slabs.size() > LISTED_SLABS) {
      dmesg.printk(
          "slabfs: "
              + s.name()
              + ": the kernel lists every partial slab with objects"
              + " here; the first "
              + LISTED_SLABS
              + " are shown");
    }
  }

  /** How many slabs' {@code Objects remaining} reports one destroy prints at most. */
  private static final int LISTED_SLABS = 32;

  /**
   * {@code list_slab_objects()} of {@code free_partial()} (CONFIG_SLUB_DEBUG): the {@code BUG
   * <cache> (...): Objects remaining ...} report for one partial slab that still has objects. Up to
   * 6.11 {@code slab_err()}: header, slab line, stack dump, then the objects; from 6.12 {@code
   * slab_bug()}, the objects, then {@code __slab_err()}: slab line and {@code WARN_ON(1)}.
   */
  private void listSlabObjects(KmemCache s, int objects, int inuse, int id) {
    boolean newer = v().atLeast(6, 12);
    Task t = Task.current();
    List<String> r = new ArrayList<>();
    r.add("=============================================================================");
    r.add(
        "BUG "
            + s.name()
            + " ("
            + dmesg.taint().print(v())
            + "): "
            + (newer
                ? "Objects remaining on __kmem_cache_shutdown()"
                : "Objects remaining in " + s.name() + " on __kmem_cache_shutdown()"));
    // pr_err("---...---\n\n"): printk drops only the last newline, so the record ends in an
    // empty line
    r.add("-----------------------------------------------------------------------------\n\n");
    long base = 0xffff888100000000L + ((long) (id & 0xffff) << 12);
    String slabLine =
        String.format(
            "Slab 0x%016x objects=%d used=%d fp=0x%016x flags=%s",
            hashedPointer(0xffffea0004000000L + ((long) (id & 0xffff) << 6)),
            objects,
            inuse,
            inuse == objects ? 0 : hashedPointer(base + (long) inuse * s.size()),
            pageFlags(s.order() > 0));
    List<String> objectLines = new ArrayList<>();
    for (int i = 0; i < inuse; i++) {
      long offset = (long) i * s.size();
      objectLines.add(
          String.format("Object 0x%016x @offset=%d", hashedPointer(base + offset), offset));
    }
    boolean first = !dmesg.taint().print(v()).contains("B");
    if (!newer) {
      r.add(slabLine);
      r.addAll(
          io.slabfs.kernel.debug.DumpStack.dumpStack(
              release(),
              dmesg.taint(),
              0,
              t.pid(),
              t.comm(),
              withCallers(
                  List.of("dump_stack_lvl", "dump_stack", "slab_err", "__kmem_cache_shutdown"),
                  "kmem_cache_destroy")));
      dmesg.printkRecords(r);
      dmesg.taint().add('B');
      if (first && lockdep.enabled()) {
        dmesg.printk("Disabling lock debugging due to kernel taint");
      }
      dmesg.printkRecords(objectLines);
      return;
    }
    r.addAll(objectLines);
    r.add(slabLine);
    dmesg.printkRecords(r);
    dmesg.taint().add('B');
    if (first && lockdep.enabled()) {
      dmesg.printk("Disabling lock debugging due to kernel taint");
    }
    if (v().atLeast(6, 19)) {
      // __slab_err() and free_partial() are inlined: the WARN fires in __kmem_cache_shutdown
      warn(null, "__kmem_cache_shutdown", "mm/slub.c", 1251, callersOf("__kmem_cache_shutdown"));
    } else {
      List<String> callers = new ArrayList<>(List.of("__kmem_cache_shutdown"));
      callers.addAll(callersOf("__kmem_cache_shutdown"));
      warn(null, "__slab_err", "mm/slub.c", 1152, callers);
    }
  }

  /**
   * {@code %pGp} of a slab's page flags on node 0, zone Normal, with the last-cpupid field in the
   * flags (NUMA balancing): {@code PG_slab} up to 6.9 (then a page type, not a flag), and {@code
   * PG_head} for a slab of order > 0 (bit 16 up to 6.9, bit 6 from 6.10).
   */
  private String pageFlags(boolean head) {
    long base = 0x17ffffc0000000L;
    if (!v().atLeast(6, 10)) {
      long f = base | 0x200 | (head ? 0x10000 : 0);
      return String.format(
          "0x%x(slab%s|node=0|zone=2|lastcpupid=0x1fffff)", f, head ? "|head" : "");
    }
    long f = base | (head ? 0x40 : 0);
    return String.format("0x%x(%snode=0|zone=2|lastcpupid=0x1fffff)", f, head ? "head|" : "");
  }

  private List<String> withCallers(List<String> inner, String from) {
    List<String> out = new ArrayList<>(inner);
    out.add(from);
    out.addAll(callersOf(from));
    return out;
  }

  /** {@code %p}: a hashed pointer, never the address itself. */
  private static long hashedPointer(long address) {
    long h = address * 0x9e3779b97f4a7c15L;
    return (h ^ (h >>> 29)) & 0xffffffffL;
  }
}
