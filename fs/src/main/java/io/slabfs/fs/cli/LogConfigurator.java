package io.slabfs.fs.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * Ours: simulator.
 *
 * <p>Logging set up in code, found by logback through {@code META-INF/services}: the daemon logs to
 * the file that {@code slabfs mount} names ({@code -Dslabfs.log=...}), in the foreground to stderr;
 * the {@code dmesg} logger carries every kernel log line. In code rather than logback.xml because
 * parsing XML took 170 ms of the daemon's start-up.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_TOP_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    FileAppender<ILoggingEvent> out = new FileAppender<>();
    out.setContext(context);
    out.setName("OUT");
    out.setFile(System.getProperty("slabfs.log", "/dev/stderr"));
    out.setAppend(true);
    out.setEncoder(encoder);
    out.start();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(out);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
