package io.slabfs.kernel.kobject;

import io.slabfs.kernel.sysfs.Attribute;
import java.util.List;

/**
 * Models: include/linux/kobject.h.
 *
 * <p>{@code struct kobj_type}: what every kobject of one kind shares: its release function and its
 * default attributes ({@code default_groups}), shown and stored on the kobject's container.
 */
public interface KType<C> {
  /** {@code ->release}: called once, when the last reference is dropped. */
  void release(KObject<C> kobj);

  /** {@code ->default_groups}, flattened, in the kernel's order. */
  default List<Attribute<C>> defaultAttrs() {
    return List.of();
  }

  /** The name of its {@code sysfs_ops} functions, e.g. {@code slab_attr} for slab_attr_show. */
  default String sysfsOps() {
    return "kobj_attr";
  }
}
