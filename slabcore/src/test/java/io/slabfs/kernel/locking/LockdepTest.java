package io.slabfs.kernel.locking;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.debug.Dmesg;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The lockdep matrix of lib/locking-selftest.c, as far as the model's locks go: AA, ABBA, ABBCCA,
 * non-recursive and recursive reads, trylocks, subclasses, one report then off, reset. Locks are
 * taken by different tasks in turn on one thread, so nothing ever blocks.
 */
class LockdepTest {
  private final AtomicLong now = new AtomicLong();
  private Dmesg dmesg;
  private Lockdep lockdep;
  private int pid = 500;

  @BeforeEach
  void setUp() {
    dmesg = new Dmesg(now::get);
    lockdep = new Lockdep(dmesg, "6.18.0-test");
  }

  private void as(String comm, Runnable body) {
    Task.runAs(
        new Task(++pid, comm),
        () -> {
          body.run();
          return null;
        });
  }

  private LockMap map(String name) {
    Object key = new Object();
    return new LockMap(lockdep.classFor(key, name, LockClass.Kind.MUTEX), key, true);
  }

  private String log() {
    return String.join("\n", dmesg.messages());
  }

  @Test
  void aa_sameClassTwice_reportsRecursiveLocking() {
    LockMap a = map("A");
    as(
        "aa",
        () -> {
          lockdep.acquire(a, 0, false);
          lockdep.acquire(a, 0, false);
          lockdep.release(a);
          lockdep.release(a);
        });
    assertThat(log())
        .contains("WARNING: possible recursive locking detected")
        .contains("aa/501 is trying to acquire lock:")
        .contains("  lock(A);\n  lock(A);")
        .contains(
            "\n============================================\n"
                + "WARNING: possible recursive locking detected\n");
    assertThat(lockdep.splatCount()).isEqualTo(1);
  }

  @Test
  void abba_reportsCircularWithoutChainBlock() {
    LockMap a = map("A");
    LockMap b = map("B");
    as(
        "t1",
        () -> {
          lockdep.acquire(a, 0, false);
          lockdep.acquire(b, 0, false);
          lockdep.release(b);
          lockdep.release(a);
        });
    assertThat(lockdep.splatCount()).isZero();
    as(
        "t2",
        () -> {
          lockdep.acquire(b, 0, false);
          lockdep.acquire(a, 0, false);
          lockdep.release(a);
          lockdep.release(b);
        });
    String log = log();
    assertThat(log)
        .contains("WARNING: possible circular locking dependency detected")
        .contains("t2/502 is trying to acquire lock:")
        .contains("-> #1 (B){+.+.}-{3:3}:")
        .contains("-> #0 (A){+.+.}-{3:3}:")
        .doesNotContain("Chain exists of:")
        .contains(
            "  lock(B);\n                               lock(A);\n"
                + "                               lock(B);\n  lock(A);")
        .contains("1 lock held by t2/502:");
  }

  @Test
  void abbcca_reportsTheChain() {
    LockMap a = map("A");
    LockMap b = map("B");
    LockMap c = map("C");
    as("ab", () -> nest(a, b));
    as("bc", () -> nest(b, c));
    as("ca", () -> nest(c, a));
    assertThat(log())
        .contains("Chain exists of:\n  A --> B --> C")
        .contains("-> #2 (C)")
        .contains("-> #1 (B)")
        .contains("-> #0 (A)");
  }

  /** The forward dependencies of class {@code name}, from sim/lockdep's text. */
  private java.util.List<String> edgesFrom(String name) {
    java.util.List<String> out = new java.util.ArrayList<>();
    boolean in = false;
    for (String line : lockdep.procLockdep().split("\n")) {
      if (line.endsWith(": " + name)) {
        in = true;
      } else if (in && line.startsWith(" -> [")) {
        out.add(line.substring(line.indexOf("] ") + 2));
      } else if (in) {
        break;
      }
    }
    return out;
  }

  private void nest(LockMap outer, LockMap inner) {
    lockdep.acquire(outer, 0, false);
    lockdep.acquire(inner, 0, false);
    lockdep.release(inner);
    lockdep.release(outer);
  }

  @Test
  void nonRecursiveRead_countsLikeAWrite_andPrintsRlock() {
    PercpuRwSem rw = new PercpuRwSem(lockdep, "cpu_hotplug_lock");
    Mutex m = new Mutex(lockdep, "slab_mutex");
    as(
        "reader",
        () -> {
          rw.readLock("cpus_read_lock");
          m.lock();
          m.unlock();
          rw.readUnlock();
        });
    as(
        "other",
        () -> {
          m.lock();
          rw.readLock("cpus_read_lock");
          rw.readUnlock();
          m.unlock();
        });
    assertThat(log())
        .contains("possible circular locking dependency")
        .contains("  lock(slab_mutex);")
        .contains("  rlock(cpu_hotplug_lock);");
  }

  @Test
  void readsWithoutAWriter_doNotBlockEachOther_butAreStillReported() {
    PercpuRwSem rw = new PercpuRwSem(lockdep, "cpu_hotplug_lock");
    LockMap b = map("B");
    as(
        "r1",
        () -> {
          rw.readLock("cpus_read_lock");
          as(
              "r2",
              () -> {
                rw.readLock("cpus_read_lock"); // a second reader gets in at once: no writer pending
                rw.readUnlock();
              });
          lockdep.acquire(b, 0, false);
          lockdep.release(b);
          rw.readUnlock();
        });
    as(
        "r3",
        () -> {
          lockdep.acquire(b, 0, false);
          rw.readLock("cpus_read_lock");
          rw.readUnlock();
          lockdep.release(b);
        });
    assertThat(lockdep.splatCount()).isEqualTo(1);
  }

  private LockMap rw(String name) {
    Object key = new Object();
    return new LockMap(lockdep.classFor(key, name, LockClass.Kind.RWSEM), key, true);
  }

  /** rlock_ABBA2: read_lock(A) then B; B then read_lock(A): -(SN)- after -(*R)- is no cycle. */
  @Test
  void recursiveReadThenLock_reversed_isNotACycle() {
    LockMap a = rw("A");
    LockMap b = map("B");
    as(
        "t1",
        () -> {
          lockdep.acquire(a, 2, false);
          lockdep.acquire(b, 0, false);
          lockdep.release(b);
          lockdep.release(a);
        });
    as(
        "t2",
        () -> {
          lockdep.acquire(b, 0, false);
          lockdep.acquire(a, 2, false);
          lockdep.release(a);
          lockdep.release(b);
        });
    assertThat(lockdep.splatCount()).isZero();
    assertThat(edgesFrom("A")).containsExactly("B");
    assertThat(edgesFrom("B")).containsExactly("A");
  }

  /** rlock_chaincache_ABBA1: the chain B, read A is cached; B, write A is another chain. */
  @Test
  void writeAfterCachedRecursiveReadChain_isChecked() {
    LockMap a = rw("A");
    LockMap b = map("B");
    as(
        "t1",
        () -> {
          lockdep.acquire(a, 2, false);
          lockdep.acquire(b, 0, false);
          lockdep.release(b);
          lockdep.release(a);
        });
    as(
        "t2",
        () -> {
          lockdep.acquire(b, 0, false);
          lockdep.acquire(a, 2, false);
          lockdep.release(a);
          lockdep.release(b);
        });
    as(
        "t3",
        () -> {
          lockdep.acquire(b, 0, false);
          lockdep.acquire(a, 0, false);
          lockdep.release(a);
          lockdep.release(b);
        });
    assertThat(log())
        .contains("WARNING: possible circular locking dependency detected")
        .contains(
            "  lock(B);\n                               lock(A);\n"
                + "                               lock(B);\n  lock(A);");
  }

  /** W1R2_W2R3_W3R1: write-read three times round is a deadlock even with recursive reads. */
  @Test
  void writeReadCycleOfThree_isReported() {
    LockMap x = rw("X");
    LockMap y = rw("Y");
    LockMap z = rw("Z");
    as("1", () -> nestTyped(x, 0, y, 2));
    as("2", () -> nestTyped(y, 0, z, 2));
    assertThat(lockdep.splatCount()).isZero();
    as("3", () -> nestTyped(z, 0, x, 2));
    assertThat(lockdep.splatCount()).isEqualTo(1);
  }

  /** W1W2_R2R3_R3W1 (the kernel's name for W1-W2, R2-R3, W3-W1): no strong cycle. */
  @Test
  void readReadInTheMiddle_breaksTheCycle() {
    LockMap x = rw("X");
    LockMap y = rw("Y");
    LockMap z = rw("Z");
    as("1", () -> nestTyped(x, 0, y, 2));
    as("2", () -> nestTyped(y, 2, z, 2));
    as("3", () -> nestTyped(z, 0, x, 0));
    assertThat(lockdep.splatCount()).isZero();
  }

  private void nestTyped(LockMap outer, int outerRead, LockMap inner, int innerRead) {
    lockdep.acquire(outer, outerRead, false);
    lockdep.acquire(inner, innerRead, false);
    lockdep.release(inner);
    lockdep.release(outer);
  }

  /** Before 6.4 the scenario table has no rlock(: the 6.0-rc1 report prints lock(. */
  @Test
  void scenarioTable_printsLockForReads_before6dot4() {
    lockdep = new Lockdep(dmesg, "5.19.0-slabfs");
    PercpuRwSem rwsem = new PercpuRwSem(lockdep, "cpu_hotplug_lock");
    Mutex m = new Mutex(lockdep, "slab_mutex");
    as(
        "reader",
        () -> {
          rwsem.readLock("cpus_read_lock");
          m.lock();
          m.unlock();
          rwsem.readUnlock();
        });
    as(
        "other",
        () -> {
          m.lock();
          rwsem.readLock("cpus_read_lock");
          rwsem.readUnlock();
          m.unlock();
        });
    assertThat(log())
        .contains("  lock(slab_mutex);\n                               lock(cpu_hotplug_lock);")
        .contains("  lock(cpu_hotplug_lock);\n\n *** DEADLOCK ***")
        .doesNotContain("rlock(");
  }

  @Test
  void unlockOfALockNotHeld_reportsBadUnlockBalance() {
    LockMap a = map("A");
    as(
        "du",
        () -> {
          lockdep.acquire(a, 0, false);
          lockdep.release(a);
          lockdep.release(a);
        });
    assertThat(log())
        .contains(
            "=====================================\n" + "WARNING: bad unlock balance detected!\n")
        .contains(
            "-------------------------------------\n"
                + "du/501 is trying to release lock (A) at:\n[<ffffffff81")
        .contains(
            "but there are no more locks to release!\n\n"
                + "other info that might help us debug this:\nno locks held by du/501.\n");
    assertThat(lockdep.splatCount()).isEqualTo(1);
  }

  @Test
  void initialisingAHeldLock_reportsHeldLockFreed() {
    Mutex m = new Mutex(lockdep, "mutex_A");
    as(
        "ih",
        () -> {
          m.lock();
          lockdep.checkNoLocksFreed(m, 32);
        });
    assertThat(log())
        .contains("=========================\nWARNING: held lock freed!\n")
        .containsPattern(
            "ih/501 is freeing memory ffffffff82[0-9a-f]{6}-ffffffff82[0-9a-f]{6},"
                + " with a lock still held there!\n[0-9a-f]{16} \\(mutex_A\\)")
        .contains("1 lock held by ih/501:\n #0: ");
  }

  @Test
  void returningToUserWithALockHeld_isReported() {
    LockMap a = map("A");
    Task t = new Task(700, "leaky");
    Task.runAs(
        t,
        () -> {
          lockdep.acquire(a, 0, false);
          return null;
        });
    assertThat(lockdep.checkReturnToUser(t)).isTrue();
    assertThat(log())
        .contains(
            "================================================\n"
                + "WARNING: lock held when returning to user space!\n")
        .contains(
            "leaky/700 is leaving the kernel with locks still held!\n"
                + "1 lock held by leaky/700:\n #0: ");
    Task clean = new Task(701, "clean");
    assertThat(lockdep.checkReturnToUser(clean)).isFalse();
  }

  @Test
  void recursiveReadUnderALock_andTheReverse_isNoCycle() {
    LockMap rcu = map("rcu_read_lock");
    LockMap b = map("B");
    as(
        "t1",
        () -> {
          lockdep.acquire(rcu, 2, false);
          lockdep.acquire(b, 0, false);
          lockdep.release(b);
          lockdep.release(rcu);
        });
    as(
        "t2",
        () -> {
          lockdep.acquire(b, 0, false);
          lockdep.acquire(rcu, 2, false);
          lockdep.release(rcu);
          lockdep.release(b);
        });
    assertThat(lockdep.splatCount()).isZero();
  }

  @Test
  void trylock_addsNoEdgeToIt_butEdgesFromIt() {
    LockMap a = map("A");
    LockMap t = map("T");
    LockMap c = map("C");
    as(
        "t1",
        () -> {
          lockdep.acquire(a, 0, false);
          lockdep.acquire(t, 0, true); // no A -> T
          lockdep.acquire(c, 0, false); // T -> C and, past the trylock, A -> C
          lockdep.release(c);
          lockdep.release(t);
          lockdep.release(a);
        });
    assertThat(edgesFrom("A")).containsExactly("C");
    assertThat(edgesFrom("T")).containsExactly("C");
    as("t2", () -> nest(t, a)); // T -> A: fine, there is no A -> T
    assertThat(lockdep.splatCount()).isZero();
    as("t3", () -> nest(c, t)); // C -> T closes T -> C
    assertThat(lockdep.splatCount()).isEqualTo(1);
  }

  @Test
  void subclass_isAnotherClass_soNestingIsNotRecursion() {
    Object key = new Object();
    Mutex parent = new Mutex(lockdep, key, "&inode->i_rwsem");
    Mutex child = new Mutex(lockdep, key, "&inode->i_rwsem");
    as(
        "nest",
        () -> {
          parent.lock();
          child.lockNested(1);
          child.unlock();
          parent.unlock();
        });
    assertThat(lockdep.splatCount()).isZero();
    assertThat(lockdep.procLockdep()).contains("&inode->i_rwsem/1");
    assertThat(lockdep.taskList().heldCount()).isZero();
  }

  @Test
  void oneReportThenOff_untilReset() {
    LockMap a = map("A");
    LockMap b = map("B");
    LockMap c = map("C");
    LockMap d = map("D");
    as("1", () -> nest(a, b));
    as("2", () -> nest(b, a));
    as("3", () -> nest(c, d));
    as("4", () -> nest(d, c));
    assertThat(lockdep.splatCount()).isEqualTo(1);
    assertThat(lockdep.enabled()).isFalse();
    lockdep.reset();
    assertThat(lockdep.enabled()).isTrue();
    assertThat(lockdep.dependencyCount()).isZero();
    as("5", () -> nest(c, d));
    as("6", () -> nest(d, c));
    assertThat(lockdep.splatCount()).isEqualTo(2);
  }

  /** lockdep_free_key_range(): the class, its dependencies and chains go; the name is reused. */
  @Test
  void freeKeyRange_zapsClassesEdgesAndChains() {
    Object modKey = new Object();
    LockMap a = map("A");
    LockMap m =
        new LockMap(lockdep.classFor(modKey, "mod_lock", LockClass.Kind.MUTEX), modKey, true);
    as("1", () -> nest(a, m));
    assertThat(edgesFrom("A")).containsExactly("mod_lock");
    assertThat(lockdep.procLockdepChains()).contains("] A\n[ffffffff83").contains("] mod_lock\n");
    assertThat(lockdep.freeKeyRange(k -> k == modKey)).isEqualTo(1);
    assertThat(edgesFrom("A")).isEmpty();
    assertThat(lockdep.procLockdepChains()).doesNotContain("mod_lock");
    assertThat(lockdep.procLockdepStats())
        .contains(" zapped classes:                          1\n")
        .contains(" zapped lock chains:                      1\n");
    Object again = new Object();
    assertThat(lockdep.classFor(again, "mod_lock", LockClass.Kind.MUTEX).displayName())
        .isEqualTo("mod_lock");
  }

  @Test
  void classTableFull_reportsMaxLockdepKeysTooLow_andTurnsOff() {
    int have = lockdep.classCount();
    for (int i = have; i < Lockdep.MAX_LOCKDEP_KEYS; i++) {
      lockdep.classFor(new Object(), "c", LockClass.Kind.MUTEX);
    }
    assertThat(lockdep.enabled()).isTrue();
    as("full", () -> lockdep.classFor(new Object(), "one too many", LockClass.Kind.MUTEX));
    assertThat(lockdep.enabled()).isFalse();
    assertThat(log())
        .contains(
            "BUG: MAX_LOCKDEP_KEYS too low!\n"
                + "turning off the locking correctness validator.\n");
    assertThat(lockdep.classCount()).isEqualTo(Lockdep.MAX_LOCKDEP_KEYS);
  }

  @Test
  void procLockdepStats_inTheKernelsLayout() {
    LockMap a = map("A");
    LockMap b = map("B");
    as("1", () -> nest(a, b));
    String stats = lockdep.procLockdepStats();
    assertThat(stats)
        .startsWith(
            " lock-classes:                            2 [max: 8192]\n"
                + " direct dependencies:                     2 [max: 32768]\n"
                + " indirect dependencies:                   3\n"
                + " all direct dependencies:                 2\n"
                + " dependency chains:                       2 [max: 65536]\n"
                + " dependency chain hlocks used:            3 [max: 327680]\n")
        .contains(" max locking depth:                       2\n")
        .contains(" debug_locks:                             1\n\n zapped classes:");
  }

  @Test
  void dot_marksTheReportedCycle() {
    LockMap a = map("A");
    LockMap b = map("B");
    as("1", () -> nest(a, b));
    as("2", () -> nest(b, a));
    assertThat(lockdep.dot())
        .contains("\"A\" -> \"B\" [color=red")
        .contains("\"B\" -> \"A\" [color=red, penwidth=2.5, style=dashed");
  }
}
