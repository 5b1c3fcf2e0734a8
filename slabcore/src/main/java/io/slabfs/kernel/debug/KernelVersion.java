package io.slabfs.kernel.debug;

/**
 * Ours: simulator.
 *
 * <p>The simulated kernel's version, from its release string ({@code 6.18.0-slabfs}), so a report
 * can print the format that version printed.
 */
public record KernelVersion(int major, int minor) {
  public static KernelVersion of(int major, int minor) {
    return new KernelVersion(major, minor);
  }

  /** {@code uname -r}, e.g. {@code 5.19.0-slabfs}. */
  public static KernelVersion parse(String release) {
    String[] p = release.split("[.-]");
    return new KernelVersion(Integer.parseInt(p[0]), p.length > 1 ? Integer.parseInt(p[1]) : 0);
  }

  public boolean atLeast(int maj, int min) {
    return major > maj || (major == maj && minor >= min);
  }
}
