package io.slabfs.kernel.locking;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Models: the kernel's call paths as compiled (arch/x86/kernel/dumpstack.c prints return addresses,
 * and a function that was inlined or that tail-called on has none).
 *
 * <p>The model enters a frame for every function of the source, so that {@code sim/held_locks} and
 * the wait points can name them; a stack trace, an {@code at:} and a saved lockdep trace show only
 * the frames the compiled kernel has. The functions that real reports lack:
 *
 * <ul>
 *   <li>{@code flush_all} (Hyeonggon Yoo's 6.0-rc1 report, mm/slub.c of that tree): a static
 *       function with one caller in {@code cpu_partial_store}'s path, inlined; the report says
 *       {@code at: cpu_partial_store+0x56/0xa0}.
 *   <li>{@code sysfs_slab_unlink}: its body is {@code kobject_del(&s->kobj)} as its last statement,
 *       a tail call; the {@code -> #2} entry goes {@code kobject_del} → {@code kmem_cache_destroy}.
 *   <li>{@code sysfs_remove_link}: it ends in {@code kernfs_remove_by_name()}, a tail call;
 *       syzbot's 6.0-rc3 KASAN report on {@code __kernfs_remove} goes {@code
 *       kernfs_remove_by_name_ns} → {@code sysfs_slab_add}.
 * </ul>
 */
public final class CompiledFrames {
  private static final Set<String> ABSENT =
      Set.of("flush_all", "sysfs_slab_unlink", "sysfs_remove_link");

  private CompiledFrames() {}

  /** Whether {@code function} has a frame of its own in the compiled kernel. */
  public static boolean hasFrame(String function) {
    return !ABSENT.contains(function);
  }

  /** {@code frames} (innermost first) without the inlined and tail-calling functions. */
  public static List<String> compiled(List<String> frames) {
    List<String> out = new ArrayList<>(frames.size());
    for (String f : frames) {
      if (hasFrame(f)) {
        out.add(f);
      }
    }
    return out;
  }

  /** The innermost compiled frame of {@code frames}, the {@code acquire_ip} a lock shows. */
  public static String caller(List<String> frames) {
    for (String f : frames) {
      if (hasFrame(f)) {
        return f;
      }
    }
    return "do_syscall_64";
  }
}
