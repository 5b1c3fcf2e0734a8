package io.slabfs.fs.cli;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code slabfs mount MOUNTPOINT [options]}: validates everything first (one-line errors, exit 2,
 * nothing mounted), clears a dead mount left by a killed daemon, then either serves in the
 * foreground or starts a detached daemon and returns once the daemon reports the tree ready.
 */
@Command(
    name = "mount",
    mixinStandardHelpOptions = true,
    description = "Mount a simulated /sys at MOUNTPOINT.")
final class MountCommand implements Callable<Integer> {
  static final String READY = "slabfs-ready";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "MOUNTPOINT", description = "an empty directory")
  Path mountpoint;

  /** Five-digit names; 10,000 caches are about 330,000 kernfs nodes. */
  static final int MAX_EXTRA_CACHES = 99_999;

  /** The {@code --kernel} values, from the eras themselves (the help shows them). */
  static final class EraIds implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Arrays.stream(KernelEra.values()).map(KernelEra::id).iterator();
    }
  }

  /** The {@code --boot} values, from the boot sets themselves. */
  static final class BootSetIds implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Arrays.stream(BootSet.values()).map(BootSet::id).iterator();
    }
  }

  @Option(
      names = "--kernel",
      paramLabel = "ERA",
      completionCandidates = EraIds.class,
      description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
  String kernel = "v6.18";

  @Option(
      names = "--cpus",
      paramLabel = "N",
      description = "possible CPUs (default: ${DEFAULT-VALUE})")
  int cpus = 2;

  @Option(
      names = "--nodes",
      paramLabel = "N",
      description = "NUMA nodes (default: ${DEFAULT-VALUE})")
  int nodes = 1;

  @Option(
      names = "--boot",
      paramLabel = "SET",
      completionCandidates = BootSetIds.class,
      description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
  String boot = "default";

  @Option(
      names = "--extra-caches",
      paramLabel = "N",
      description =
          "create N more caches (scale_00001...) after the boot set "
              + "(default: ${DEFAULT-VALUE})")
  int extraCaches = 0;

  @Option(
      names = "--hung-task-timeout",
      paramLabel = "S",
      description = "seconds before a blocked task is reported (default: ${DEFAULT-VALUE})")
  int hungTaskTimeout = 10;

  @Option(
      names = "--deadlock",
      paramLabel = "MODE",
      description = "break or hang: what to do with a real deadlock (default: ${DEFAULT-VALUE})")
  String deadlock = "break";

  @Option(
      names = "--debug-kobject-release",
      description = "delay every kobject release by 1-4 s, as CONFIG_DEBUG_KOBJECT_RELEASE does")
  boolean debugKobjectRelease;

  @Option(
      names = "--mem",
      paramLabel = "SIZE",
      description = "the machine's memory, e.g. 512M or 8G (default: 2G per CPU)")
  String mem;

  /** Smallest --mem: room for the biggest boot set's slabs. */
  static final long MIN_MEM = 64L << 20;

  /** Largest --mem: 1 PiB. */
  static final long MAX_MEM = 1L << 50;

  @Option(names = "--seed", paramLabel = "N", description = "seed for every random choice")
  Long seed;

  @Option(names = "--allow-other", description = "let other users in (modes are enforced)")
  boolean allowOther;

  @Option(names = "--foreground", description = "stay in the foreground; Ctrl-C unmounts")
  boolean foreground;

  @Option(names = "--notify-ready", hidden = true)
  boolean notifyReady;

  @Override
  public Integer call() throws Exception {
    BootOptions options = validate();
    Path mp = Mounts.canonical(mountpoint);
    if (Mounts.isMounted(mp)) {
      if (!Mounts.isDead(mp)) {
        Mounts.Serving daemon = Mounts.servingDaemon(mp);
        throw usage(
            mp
                + " is already mounted by slabfs ("
                + (daemon.pid().isPresent()
                    ? "daemon pid " + daemon.pid().getAsLong()
                    : daemon.why())
                + "); unmount it first");
      }
      Optional<String> err = Mounts.fusermountUnmount(mp, true);
      if (err.isPresent()) {
        throw usage("cannot clear the dead mount at " + mp + ": " + err.get());
      }
    }
    if (!Files.isDirectory(mp)) {
      throw usage(mp + " is not a directory");
    }
    try (Stream<Path> entries = Files.list(mp)) {
      if (entries.findAny().isPresent()) {
        throw usage(mp + " is not empty");
      }
    }
    if (!Files.exists(Path.of("/dev/fuse"))) {
      throw usage("/dev/fuse is missing: load the fuse module or install fuse");
    }
    if (foreground) {
      return new Daemon(options, mp, allowOther, notifyReady).run();
    }
    return spawnDaemon(mp);
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  /** Checks every option value; the first bad one is the error. */
  BootOptions validate() {
    KernelEra era =
        KernelEra.byId(kernel)
            .orElseThrow(
                () ->
                    usage(
                        "--kernel: unknown era '" + kernel + "' (one of " + KernelEra.ids() + ")"));
    if (cpus < 1 || cpus > 256) {
      throw usage("--cpus: must be 1 to 256, got " + cpus);
    }
    if (nodes < 1 || nodes > cpus || nodes > 64) {
      throw usage("--nodes: must be 1 to min(64, --cpus), got " + nodes);
    }
    BootSet set =
        BootSet.byId(boot)
            .orElseThrow(
                () ->
                    usage(
                        "--boot: unknown set '"
                            + boot
                            + "' (one of "
                            + String.join(", ", new BootSetIds())
                            + ")"));
    if (extraCaches < 0 || extraCaches > MAX_EXTRA_CACHES) {
      throw usage("--extra-caches: must be 0 to " + MAX_EXTRA_CACHES + ", got " + extraCaches);
    }
    if (hungTaskTimeout < 0 || hungTaskTimeout > 86400) {
      throw usage("--hung-task-timeout: must be 0 to 86400 seconds, got " + hungTaskTimeout);
    }
    BootOptions.DeadlockMode mode =
        switch (deadlock) {
          case "break" -> BootOptions.DeadlockMode.BREAK;
          case "hang" -> BootOptions.DeadlockMode.HANG;
          default -> throw usage("--deadlock: must be break or hang, got '" + deadlock + "'");
        };
    long memBytes = 0;
    if (mem != null) {
      memBytes = memparse(mem);
      if (memBytes < MIN_MEM || memBytes > MAX_MEM) {
        throw usage("--mem: must be 64M to 1P, got '" + mem + "'");
      }
    }
    if (seed == null) {
      seed = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    }
    return BootOptions.defaults()
        .withEra(era)
        .withCpus(cpus, nodes)
        .withBootSet(set)
        .withSeed(seed)
        .withHungTask(hungTaskTimeout, mode, debugKobjectRelease)
        .withExtraCaches(extraCaches)
        .withMem(memBytes);
  }

  /**
   * {@code memparse()} (lib/cmdline.c) as the kernel's {@code mem=} takes it: a number with an
   * optional K, M, G, T or P suffix; -1 when it is not one.
   */
  static long memparse(String s) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("([0-9]{1,16})([KkMmGgTtPp]?)").matcher(s);
    if (!m.matches()) {
      return -1;
    }
    long v = Long.parseLong(m.group(1));
    int shift =
        switch (Character.toUpperCase(m.group(2).isEmpty() ? ' ' : m.group(2).charAt(0))) {
          case 'K' -> 10;
          case 'M' -> 20;
          case 'G' -> 30;
          case 'T' -> 40;
          case 'P' -> 50;
          default -> 0;
        };
    return v > (Long.MAX_VALUE >> shift) ? -1 : v << shift;
  }

  /**
   * Starts this command again as a detached daemon ({@code --foreground --notify-ready}), stdout
   * piped back to us for the one ready line, stderr appended to the log.
   */
  private int spawnDaemon(Path mp) throws IOException, InterruptedException {
    Path log = Mounts.logFile(mp);
    Files.createDirectories(log.getParent());
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-Dslabfs.log=")) {
        cmd.add(arg);
      }
    }
    cmd.add("-Dslabfs.log=" + log);
    String cp = System.getProperty("java.class.path");
    if (cp.endsWith(".jar") && !cp.contains(File.pathSeparator)) {
      cmd.add("-jar");
      cmd.add(cp);
    } else {
      cmd.add("-cp");
      cmd.add(cp);
      cmd.add(Slabfs.class.getName());
    }
    cmd.addAll(
        List.of(
            "mount",
            mp.toString(),
            "--kernel",
            kernel,
            "--cpus",
            Integer.toString(cpus),
            "--nodes",
            Integer.toString(nodes),
            "--boot",
            boot,
            "--extra-caches",
            Integer.toString(extraCaches),
            "--hung-task-timeout",
            Integer.toString(hungTaskTimeout),
            "--deadlock",
            deadlock,
            "--seed",
            Long.toString(seed),
            "--foreground",
            "--notify-ready"));
    if (mem != null) {
      cmd.add("--mem");
      cmd.add(mem);
    }
    if (debugKobjectRelease) {
      cmd.add("--debug-kobject-release");
    }
    if (allowOther) {
      cmd.add("--allow-other");
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process daemon = pb.start();
    List<String> said = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.equals(READY)) {
          System.out.println(
              "slabfs: mounted "
                  + kernel
                  + " at "
                  + mp
                  + " (daemon pid "
                  + daemon.pid()
                  + ", seed "
                  + seed
                  + ")");
          System.out.println("slabfs: log: " + log);
          System.out.println("slabfs: unmount with: mountpoint-scripts/slabfs umount " + mp);
          return 0;
        }
        said.add(line);
      }
    }
    int rc = daemon.waitFor();
    if (said.isEmpty()) {
      System.err.println("slabfs: the daemon exited with status " + rc + "; see " + log);
    } else {
      said.forEach(System.err::println);
    }
    return 1;
  }
}
