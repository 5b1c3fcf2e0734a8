package io.slabfs.kernel.kobject;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.sysfs.Sysfs;
import java.util.ArrayList;
import java.util.List;

/**
 * Models: lib/kobject.c.
 *
 * <p>A {@code struct kset}: a kobject that is also a list of kobjects (e.g. {@code slab_kset}).
 */
public final class KSet {
  private static final KType<KSet> KSET_KTYPE = kobj -> {};

  private final KObject<KSet> kobj = new KObject<>(this, KSET_KTYPE);
  private final List<KObject<?>> list = new ArrayList<>();

  private KSet() {}

  /** {@code kset_create_and_add(name, NULL, parent)}. */
  public static KSet createAndAdd(Sysfs sysfs, String name, KObject<?> parent)
      throws ErrnoException {
    KSet kset = new KSet();
    kset.kobj.initAndAdd(sysfs, parent, null, name);
    return kset;
  }

  public KObject<KSet> kobj() {
    return kobj;
  }

  synchronized void join(KObject<?> k) {
    list.add(k);
  }

  synchronized void leave(KObject<?> k) {
    list.remove(k);
  }

  /** A snapshot of the members. */
  public synchronized List<KObject<?>> members() {
    return new ArrayList<>(list);
  }
}
