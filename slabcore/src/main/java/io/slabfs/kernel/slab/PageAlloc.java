package io.slabfs.kernel.slab;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.debug.KernelClock;
import io.slabfs.kernel.locking.Task;

/**
 * The page allocator as the slab allocator sees it (mm/page_alloc.c): {@code totalram_pages()}
 * pages, of which the slabs hold some; an allocation of {@code 1 << order} pages that does not fit
 * fails, and one without {@code __GFP_NOWARN} reports it with {@code warn_alloc()} (rate limited as
 * the kernel's {@code nopage_rs}: one report per 10 s). Only slab pages are counted: nothing else
 * in the simulated machine uses memory.
 *
 * <p>Concurrency: the counters are guarded by this object's monitor, a leaf lock taken under a
 * cache's allocator lock and never the other way round.
 */
public final class PageAlloc {
  /**
   * {@code GFP_KERNEL}: {@code __GFP_RECLAIM | __GFP_IO | __GFP_FS} (include/linux/gfp_types.h).
   */
  static final int GFP_KERNEL = 0xcc0;

  static final int GFP_DMA = 0x01;
  static final int GFP_DMA32 = 0x04;
  static final int GFP_RECLAIMABLE = 0x10;
  static final int GFP_COMP = 0x40000;

  private final long totalPages;
  private final Dmesg dmesg;
  private final KernelClock clock;
  private final String release;
  private final EraText text;
  private final Ratelimit nopage;
  private long slabPages;
  private long allocFailures;

  /**
   * @param totalPages the machine's memory in 4 KiB pages ({@code --mem})
   * @param release the kernel release for {@code dump_stack()}'s header
   */
  public PageAlloc(long totalPages, Dmesg dmesg, KernelClock clock, String release) {
    this.totalPages = totalPages;
    this.dmesg = dmesg;
    this.clock = clock;
    this.release = release;
    this.text = EraText.of(release);
    // static DEFINE_RATELIMIT_STATE(nopage_rs, 10*HZ, 1)
    this.nopage = new Ratelimit("warn_alloc", 10_000, 1, clock);
  }

  String release() {
    return release;
  }

  Dmesg dmesg() {
    return dmesg;
  }

  KernelClock clock() {
    return clock;
  }

  public long totalPages() {
    return totalPages;
  }

  /** Pages held by slabs ({@code NR_SLAB_RECLAIMABLE_B + NR_SLAB_UNRECLAIMABLE_B} in pages). */
  public synchronized long slabPages() {
    return slabPages;
  }

  /** {@code NR_FREE_PAGES}. */
  public synchronized long freePages() {
    return totalPages - slabPages;
  }

  /** Page allocations that failed since boot. */
  public synchronized long allocFailures() {
    return allocFailures;
  }

  /**
   * Allocates up to {@code count} blocks of {@code 1 << order} pages, as many as fit; returns how
   * many. A shortfall is not reported: the caller retries one block with {@link #allocOrWarn} when
   * it needs to know.
   */
  synchronized long allocUpTo(int order, long count) {
    long n = Math.min(count, (totalPages - slabPages) >> order);
    slabPages += n << order;
    return n;
  }

  /**
   * {@code __alloc_pages()} of one block of {@code 1 << order} pages with {@code gfp}: false when
   * it does not fit, after {@code warn_alloc()} unless {@code gfp} has {@code __GFP_NOWARN}.
   */
  boolean allocOrWarn(int order, int gfp, boolean nowarn, int cpu) {
    synchronized (this) {
      if ((totalPages - slabPages) >> order >= 1) {
        slabPages += 1L << order;
        return true;
      }
      if (!nowarn) {
        allocFailures++;
      }
    }
    if (!nowarn) {
      warnAlloc(order, gfp, cpu);
    }
    return false;
  }

  synchronized void free(int order, long count) {
    slabPages -= count << order;
    if (slabPages < 0) {
      throw new IllegalStateException("slab pages went negative: " + slabPages);
    }
  }

  /**
   * {@code warn_alloc(gfp_mask, NULL, "page allocation failure: order:%u", order)}: the headline,
   * {@code dump_stack()} and {@code __show_mem()}'s summary ({@code show_free_areas}'s global
   * counters and the page totals; the per-node, per-zone and buddy-list lines are left out).
   */
  private void warnAlloc(int order, int gfp, int cpu) {
    String suppressed = nopage.check();
    if (suppressed == null) {
      return;
    }
    if (!suppressed.isEmpty()) {
      dmesg.printk(suppressed);
    }
    Task t = Task.current();
    long slab;
    long free;
    synchronized (this) {
      slab = slabPages;
      free = totalPages - slabPages;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(t.comm())
        .append(": page allocation failure: order:")
        .append(order)
        .append(", mode:0x")
        .append(Integer.toHexString(gfp))
        .append('(')
        .append(gfpNames(gfp))
        .append("), nodemask=(null),cpuset=/,mems_allowed=0\n");
    sb.append("CPU: ")
        .append(cpu)
        .append(text.uidInDumpStack() ? " UID: 0" : "")
        .append(" PID: ")
        .append(t.pid())
        .append(" Comm: ")
        .append(t.comm())
        .append(' ')
        .append(dmesg.taint())
        .append(' ')
        .append(release)
        .append(" #1\n");
    sb.append("Hardware name: slabfs simulated machine\nCall Trace:\n <TASK>\n");
    for (String f : text.allocFailureFrames()) {
      sb.append(' ').append(f).append('\n');
    }
    for (String f : t.frames()) {
      sb.append(' ').append(f).append('\n');
    }
    sb.append(" </TASK>\n");
    sb.append("Mem-Info:\n");
    sb.append("active_anon:0 inactive_anon:0 isolated_anon:0\n")
        .append(" active_file:0 inactive_file:0 isolated_file:0\n")
        .append(" unevictable:0 dirty:0 writeback:0\n")
        .append(" slab_reclaimable:0 slab_unreclaimable:")
        .append(slab)
        .append('\n')
        .append(" mapped:0 shmem:0 pagetables:0\n")
        .append(text.secPagetables() ? " sec_pagetables:0 bounce:0\n" : " bounce:0\n")
        .append(" kernel_misc_reclaimable:0\n")
        .append(" free:")
        .append(free)
        .append(" free_pcp:0 free_cma:0\n");
    sb.append(totalPages).append(" pages RAM\n");
    sb.append("0 pages HighMem/MovableOnly\n");
    sb.append("0 pages reserved\n");
    sb.append("0 pages cma reserved\n");
    sb.append("0 pages hwpoisoned");
    dmesg.printk(sb.toString());
  }

  /**
   * {@code %pGg}: the names of {@code gfpflag_names} (include/trace/events/mmflags.h) in table
   * order, each consuming its bits, for the bits slab allocations use.
   */
  static String gfpNames(int gfp) {
    StringBuilder sb = new StringBuilder();
    int left = gfp;
    int[] bits = {GFP_KERNEL, GFP_DMA, GFP_DMA32, GFP_COMP, GFP_RECLAIMABLE};
    String[] names = {"GFP_KERNEL", "GFP_DMA", "GFP_DMA32", "__GFP_COMP", "__GFP_RECLAIMABLE"};
    for (int i = 0; i < bits.length; i++) {
      if ((left & bits[i]) == bits[i]) {
        if (sb.length() > 0) {
          sb.append('|');
        }
        sb.append(names[i]);
        left &= ~bits[i];
      }
    }
    if (left != 0) {
      sb.append(sb.length() > 0 ? "|" : "").append("0x").append(Integer.toHexString(left));
    }
    return sb.toString();
  }
}
