package io.slabfs.kernel.module;

import io.slabfs.kernel.debug.KptrRestrict;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.kernfs.KernfsOps;
import io.slabfs.kernel.kernfs.KernfsRoot;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.kobject.KSet;
import io.slabfs.kernel.kobject.KobjectUevent;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sysfs.Attribute;
import io.slabfs.kernel.sysfs.Sysfs;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Models: kernel/module/sysfs.c.
 *
 * <p>A loaded module's {@code /sys/module/NAME}: the module kobject, {@code holders/} and the usage
 * links in its dependencies' {@code holders/}, {@code parameters/} ({@code
 * module_param_sysfs_setup()}), the {@code modinfo_attrs}, {@code sections/} and {@code notes/};
 * and {@code mod_kobject_put()}, which waits for the kobject's release.
 *
 * <p>Concurrency: called by {@link Modules} outside {@code module_mutex}; kernfs serialises the
 * tree changes.
 */
final class ModuleSysfs {
  /**
   * The static {@code lock_class_key} of {@code sysfs_attr_init()} in {@code add_sysfs_param()}
   * (kernel/params.c): one {@code kn->active} class for every module's parameter files.
   */
  private final Object paramAttrKey = new Object();

  /** The sections a loaded module lists in {@code sections/}. */
  private static final List<String> SECTIONS =
      List.of(
          ".text",
          ".init.text",
          ".exit.text",
          ".rodata",
          ".data",
          ".bss",
          ".gnu.linkonce.this_module",
          ".note.gnu.build-id",
          ".strtab",
          ".symtab");

  /** {@code MODULE_SECT_READ_SIZE}: {@code "0x%px\n"}. */
  private static final int SECT_SIZE = 19;

  private final Sysfs sysfs;
  private final KSet moduleKset;
  private final KptrRestrict kptr;

  ModuleSysfs(Sysfs sysfs, KSet moduleKset, KptrRestrict kptr) {
    this.sysfs = sysfs;
    this.moduleKset = moduleKset;
    this.kptr = kptr;
  }

  /**
   * {@code mod_sysfs_setup()}: the directory, holders/, parameters, modinfo, links, sections,
   * notes.
   */
  void setup(Module m) throws ErrnoException {
    // mod_sysfs_init(): a module of that name in /sys/module already (a built-in one: the
    // loaded-module list of add_unformed_module() does not hold those)
    for (KObject<?> k : moduleKset.members()) {
      if (k.name().equals(m.name)) {
        sysfs.dmesg().printk(m.name + ": module is already loaded");
        throw Errno.EINVAL.with(m.name + " is in /sys/module already (built in)");
      }
    }
    m.kobj.initAndAdd(sysfs, null, moduleKset, m.name);
    KernfsRoot kernfs = sysfs.kernfs();
    KernfsDir dir = m.kobj.sd();
    kernfs.createDir(dir, "holders", 0755);
    if (!m.params.isEmpty()) {
      KernfsDir pd = sysfs.createDir(dir, "parameters");
      for (KernelParam p : m.params) {
        sysfs.createFile(pd, p, p.attribute(), "param_attr", paramAttrKey);
      }
    }
    sysfs.createFiles(dir, m, modinfoAttrs, "module_attr");
    for (Module d : m.uses) {
      // add_usage_links(): NAME in each dependency's holders/
      sysfs.createLink((KernfsDir) kernfs.child(d.kobj.sd(), "holders").orElseThrow(), dir, m.name);
    }
    KernfsDir sections = kernfs.createDir(dir, "sections", 0755);
    for (int i = 0; i < SECTIONS.size(); i++) {
      // the sections laid out one page apart from the module's text
      long address = m.memory.base() + 0x1000L * i;
      kernfs.createFile(
          sections,
          SECTIONS.get(i),
          0400,
          KernfsOps.readOnlyFor(SECTION_KEY, uid -> moduleSectRead(address, uid)),
          SECT_SIZE);
    }
    KernfsDir notes = kernfs.createDir(dir, "notes", 0755);
    byte[] note = buildIdNote(m.name);
    kernfs.createFile(
        notes, ".note.gnu.build-id", 0444, KernfsOps.readOnly(NOTE_KEY, () -> note), note.length);
  }

  private static final Object SECTION_KEY = new Object();

  /**
   * {@code module_sect_read()}: {@code "0x%px\n"} of the section's address if {@code
   * kallsyms_show_value(file->f_cred)}, else of {@code NULL}.
   */
  private byte[] moduleSectRead(long address, int openerUid) {
    boolean show = kptr.showValue(openerUid == 0);
    return ("0x" + KptrRestrict.px(show ? address : 0) + "\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static final Object NOTE_KEY = new Object();

  /** {@code modinfo_attrs[]}. */
  private final List<Attribute<Module>> modinfoAttrs =
      List.of(
          Attribute.wo("uevent", this::ueventStore),
          Attribute.ro("srcversion", 0444, m -> m.srcversion + "\n"),
          Attribute.ro("initstate", 0444, m -> m.state.shown + "\n"),
          Attribute.ro("coresize", 0444, m -> m.coresize + "\n"),
          Attribute.ro("initsize", 0444, m -> m.initsize + "\n"),
          Attribute.ro("taint", 0444, m -> "O\n"),
          Attribute.ro("refcnt", 0444, m -> m.refcount() + "\n"));

  /** {@code store_uevent()}: {@code kobject_synth_uevent()} on the module's kobject. */
  private int ueventStore(Module m, byte[] buf, int len) throws ErrnoException {
    KobjectUevent.synth("/" + m.kobj.sd().path(), buf, len, sysfs.dmesg());
    return len;
  }

  /** An ELF build-id note: namesz 4, descsz 20, type 3, "GNU\0", 20 bytes of id. */
  private static byte[] buildIdNote(String name) {
    byte[] id;
    try {
      id = MessageDigest.getInstance("SHA-1").digest(name.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] note = new byte[36];
    note[0] = 4;
    note[4] = 20;
    note[8] = 3;
    note[12] = 'G';
    note[13] = 'N';
    note[14] = 'U';
    System.arraycopy(id, 0, note, 16, 20);
    return note;
  }

  /** {@code del_usage_links()}: NAME out of each dependency's holders/. */
  void delUsageLinks(Module m) {
    KernfsRoot kernfs = sysfs.kernfs();
    for (Module d : m.uses) {
      kernfs
          .child(d.kobj.sd(), "holders")
          .ifPresent(h -> kernfs.removeByName((KernfsDir) h, m.name));
    }
  }

  /**
   * {@code mod_sysfs_teardown()}: the usage links, the attributes and subdirectories, then {@code
   * mod_kobject_put()}, which waits, uninterruptibly, for the module kobject's release.
   */
  void teardown(Module m) {
    KernfsRoot kernfs = sysfs.kernfs();
    delUsageLinks(m);
    if (m.kobj.sd() != null) {
      for (Attribute<Module> a : modinfoAttrs) {
        kernfs.removeByName(m.kobj.sd(), a.name());
      }
      for (String sub : List.of("parameters", "holders", "notes", "sections")) {
        kernfs.removeByName(m.kobj.sd(), sub);
      }
    }
    try (Task.Frame g = Task.enter("mod_kobject_put")) {
      m.kobj.put();
      m.kobjCompletion.waitForCompletion(
          "mod_kobject_put", "module " + m.name + "'s kobject release (kobj_completion)", List::of);
    }
  }

  /** The error path of {@code mod_sysfs_setup()}: the module kobject goes, without waiting. */
  void dropKobject(Module m) {
    if (m.kobj.stateInSysfs()) {
      m.kobj.del();
    }
    if (m.kobj.refcount() > 0) {
      m.kobj.put();
    }
  }
}
