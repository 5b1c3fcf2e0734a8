package io.slabfs.fs.cli;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.locking.LockScript;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.LockingSelftest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Ours: simulator.
 *
 * <p>{@code slabfs lockdep FILE|-}: the lock playground. The script's events go to the lockdep the
 * mount uses; the output is what lockdep prints, nothing else. Exit 0 if lockdep stayed silent, 1
 * if it reported, 2 for a malformed script or bad usage. {@code --selftest} runs the transcribed
 * {@code lib/locking-selftest.c} instead.
 */
@Command(
    name = "lockdep",
    mixinStandardHelpOptions = true,
    description = {
      "Run a script of lock events through slabfs's lockdep and print what lockdep prints.",
      "Script lines: 'lock NAME TYPE [class=CLASS]' (TYPE: mutex, rwsem, percpu_rwsem, "
          + "spinlock, rwlock, kn_active) and 'TASK OPERATION [LOCK]'; '#' starts a comment.",
      "Exit status: 0 lockdep stayed silent, 1 lockdep reported, 2 malformed script."
    })
final class LockdepCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      paramLabel = "FILE",
      arity = "0..1",
      description = "the script, or - for standard input")
  String file;

  @Option(
      names = "--kernel",
      paramLabel = "ERA",
      description =
          "whose report to print: " + "v5.19, v6.1, v6.18, v7, ... (default: ${DEFAULT-VALUE})")
  String kernel = "v6.18";

  @Option(
      names = "--graph",
      description = "print the dependency graph as DOT instead, " + "the reported cycle in red")
  boolean graph;

  @Option(
      names = "--selftest",
      description =
          "run the transcribed lib/locking-selftest.c "
              + "cases, each on a fresh lockdep, and print the kernel's table and summary")
  boolean selftest;

  @Override
  public Integer call() {
    // the output is lockdep's text on stdout and nothing else: no copy of it through the log
    ((ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.OFF);
    KernelEra era =
        KernelEra.byId(kernel)
            .orElseThrow(
                () ->
                    new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--kernel: unknown era '" + kernel + "' (one of " + KernelEra.ids() + ")"));
    String release = era.release() + "-slabfs";
    PrintStream out = System.out;
    if (selftest) {
      if (file != null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--selftest takes no FILE");
      }
      List<String> table = LockingSelftest.suite().run(release);
      table.forEach(out::println);
      return table.stream().anyMatch(l -> l.startsWith("Good, all")) ? 0 : 1;
    }
    if (file == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "missing FILE (or -)");
    }
    String text;
    try {
      text =
          file.equals("-")
              ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
              : Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      System.err.println("slabfs: " + file + ": No such file or directory");
      return 2;
    } catch (IOException e) {
      System.err.println("slabfs: " + file + ": " + e.getMessage());
      return 2;
    }
    LockScript script;
    try {
      script = LockScript.parse(text);
    } catch (LockScript.ScriptError e) {
      System.err.println(
          "slabfs: " + (file.equals("-") ? "<stdin>" : file) + ": " + e.getMessage());
      return 2;
    }
    Lockdep lockdep = script.run(release);
    if (graph) {
      out.print(lockdep.dot());
    } else {
      for (String line : lockdep.dmesg().messages()) {
        out.println(line);
      }
    }
    out.flush();
    return lockdep.splatCount() == 0 ? 0 : 1;
  }
}
