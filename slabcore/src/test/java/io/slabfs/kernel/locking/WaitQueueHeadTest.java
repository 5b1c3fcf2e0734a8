package io.slabfs.kernel.locking;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.debug.Dmesg;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** {@link WaitQueueHead}: the waker's {@code wq_has_sleeper()} shortcut loses no wake-up. */
class WaitQueueHeadTest {
  private final Lockdep lockdep = new Lockdep(new Dmesg(() -> 0L), "6.18.0-test");

  @Test
  void wakeUpAll_withoutSleeper_takesNoLock() throws InterruptedException {
    WaitQueueHead q = new WaitQueueHead(lockdep);
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch woken = new CountDownLatch(1);
    Thread holder =
        new Thread(
            () -> {
              synchronized (q) {
                held.countDown();
                try {
                  woken.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
    holder.start();
    held.await();
    // with the queue's lock held elsewhere, a wake-up of an empty queue still returns
    q.wakeUpAll();
    woken.countDown();
    holder.join();
  }

  @Test
  void wakeUpAll_afterTheConditionChanged_alwaysEndsTheSleep() throws InterruptedException {
    WaitQueueHead q = new WaitQueueHead(lockdep);
    for (int round = 0; round < 2000; round++) {
      AtomicBoolean done = new AtomicBoolean();
      AtomicBoolean returned = new AtomicBoolean();
      int pid = 1000 + round;
      Thread sleeper =
          new Thread(
              () ->
                  Task.runAs(
                      new Task(pid, "sleeper"),
                      () -> {
                        q.waitEvent(done::get, WaitQueueHead.Sleep.on("test", false, "schedule"));
                        returned.set(true);
                        return null;
                      }));
      sleeper.start();
      if (round % 2 == 0) {
        Thread.onSpinWait(); // vary where the waker lands against the sleeper's check
      }
      done.set(true);
      q.wakeUpAll();
      sleeper.join(); // a lost wake-up hangs here, and the test's timeout fails it
      assertThat(returned).isTrue();
    }
  }
}
