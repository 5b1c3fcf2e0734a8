package io.slabfs.fs.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@link ReleaseOrder} without a mount: workers are threads that join with made-up thread ids, and
 * whether one sleeps in {@code read(/dev/fuse)} is what the test says.
 */
class ReleaseOrderTest {
  private static final int FUSE_READ = 15;

  /** Thread ids the fake kernel shows as blocked in the device read. */
  private final Set<String> inRead = ConcurrentHashMap.newKeySet();

  private final ReleaseOrder order = new ReleaseOrder(inRead::contains);

  /** Runs {@code body} as worker {@code tid} on a thread of its own. */
  private Thread worker(String tid, Runnable body) {
    Thread t =
        new Thread(
            () -> {
              order.join(tid);
              try {
                body.run();
              } finally {
                order.leave();
              }
            });
    t.start();
    return t;
  }

  @Test
  void awaitEarlier_waitsForAnEarlierReleaseToBeProcessed() throws InterruptedException {
    CountDownLatch registered = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    Thread releaser =
        worker(
            "1",
            () -> {
              order.received(10, ReleaseOrder.FUSE_RELEASE);
              registered.countDown();
              await(finish);
              order.processed(10);
              inRead.add("1");
            });
    registered.await();
    AtomicBoolean done = new AtomicBoolean();
    Thread reader =
        worker(
            "2",
            () -> {
              order.received(12, FUSE_READ);
              order.awaitEarlier();
              done.set(true);
              order.processed(12);
            });
    parkedOrEnded(reader);
    assertThat(done).as("returned while release 10 was still running").isFalse();
    finish.countDown();
    reader.join();
    releaser.join();
    assertThat(done).isTrue();
  }

  @Test
  void awaitEarlier_ignoresLaterReleasesAndOtherRequests() throws InterruptedException {
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    Thread later =
        worker(
            "1",
            () -> {
              order.received(20, ReleaseOrder.FUSE_RELEASE);
              held.countDown();
              await(finish);
              order.processed(20);
            });
    Thread earlierRead =
        worker(
            "3",
            () -> {
              order.received(8, FUSE_READ);
              await(finish);
              order.processed(8);
            });
    held.await();
    Thread reader =
        worker(
            "2",
            () -> {
              order.received(12, FUSE_READ);
              order.awaitEarlier(); // 20 is later, 8 is no release: nothing to wait for
              order.processed(12);
            });
    reader.join();
    finish.countDown();
    later.join();
    earlierRead.join();
  }

  @Test
  void awaitEarlier_waitsForAWorkerBackFromReadThatHasNotRegisteredYet()
      throws InterruptedException {
    // worker 1 has returned from read(2) (not in the device read) but holds nothing yet
    CountDownLatch joined = new CountDownLatch(1);
    CountDownLatch register = new CountDownLatch(1);
    Thread slow =
        worker(
            "1",
            () -> {
              joined.countDown();
              await(register);
              order.received(10, ReleaseOrder.FUSE_RELEASE);
              order.processed(10);
              inRead.add("1");
            });
    joined.await();
    AtomicBoolean done = new AtomicBoolean();
    Thread reader =
        worker(
            "2",
            () -> {
              order.received(12, FUSE_READ);
              order.awaitEarlier();
              done.set(true);
              order.processed(12);
            });
    parkedOrEnded(reader);
    assertThat(done).as("returned while worker 1 might hold an earlier release").isFalse();
    register.countDown();
    reader.join();
    slow.join();
    assertThat(done).isTrue();
  }

  @Test
  void awaitEarlier_outsideARequest_returnsAtOnce() {
    order.awaitEarlier();
    order.join("9");
    order.awaitEarlier();
    order.leave();
  }

  /**
   * Returns once {@code t} sleeps in the wait's poll, or has ended (then the wait did not wait).
   */
  private static void parkedOrEnded(Thread t) {
    while (t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.TERMINATED) {
      Thread.onSpinWait();
    }
  }

  private static void await(CountDownLatch l) {
    try {
      l.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
