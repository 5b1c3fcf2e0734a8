package io.slabfs.kernel.kobject;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Models: lib/kobject_uevent.c.
 *
 * <p>{@code kobject_synth_uevent()}, what a write to a {@code uevent} file does: an action word,
 * optionally a UUID and {@code KEY=VALUE} arguments, else {@code EINVAL} and the kernel's {@code
 * synth uevent:} warning. No uevent listener is modeled: a valid event goes nowhere, as on a
 * machine without udev.
 */
public final class KobjectUevent {
  /** {@code kobject_actions[]}, in {@code enum kobject_action} order. */
  private static final List<String> ACTIONS =
      List.of("add", "remove", "change", "move", "online", "offline", "bind", "unbind");

  /** {@code UUID_STRING_LEN}. */
  private static final int UUID_STRING_LEN = 36;

  private KobjectUevent() {}

  /** {@code kobject_synth_uevent(kobj, buf, count)}; {@code path} is kobject_get_path()'s. */
  public static void synth(String path, byte[] buf, int count, Dmesg dmesg) throws ErrnoException {
    String text = new String(buf, 0, Math.min(count, buf.length), StandardCharsets.ISO_8859_1);
    String msg = null;
    int args = argsStart(text);
    if (args == BAD_ACTION) {
      msg = "unknown uevent action string";
    } else if (args != NO_ARGS && !validArgs(text.substring(args))) {
      msg = "incorrect uevent action arguments";
    }
    if (msg != null) {
      dmesg.printk("synth uevent: " + path + ": " + msg);
      throw Errno.EINVAL.with(msg);
    }
  }

  private static final int BAD_ACTION = -1;

  /** An action word alone: {@code action_args} stays NULL. */
  private static final int NO_ARGS = -2;

  /**
   * {@code kobject_action_type()}: where the arguments start (after the action word and its space),
   * {@link #NO_ARGS} without a space, {@link #BAD_ACTION} if the first word is no action. One
   * trailing newline or NUL is dropped first.
   */
  private static int argsStart(String buf) {
    String s = trimOne(buf);
    if (s.isEmpty()) {
      return BAD_ACTION;
    }
    int sp = s.indexOf(' ');
    if (!ACTIONS.contains(sp < 0 ? s : s.substring(0, sp))) {
      return BAD_ACTION;
    }
    return sp < 0 ? NO_ARGS : sp + 1;
  }

  /** {@code kobject_action_args()}: a UUID, then {@code " KEY=VALUE"} words of alphanumerics. */
  private static boolean validArgs(String buf) {
    String s = trimOne(buf);
    if (s.length() < UUID_STRING_LEN || !isUuid(s.substring(0, UUID_STRING_LEN))) {
      return false;
    }
    int i = UUID_STRING_LEN;
    while (i < s.length()) {
      if (s.charAt(i) != ' ') {
        return false;
      }
      i++;
      int key = i;
      while (i < s.length() && s.charAt(i) != '=') {
        if (!Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) > 0x7f) {
          return false;
        }
        i++;
      }
      if (i == key || i >= s.length()) {
        return false;
      }
      i++; // '='
      int value = i;
      while (i < s.length() && s.charAt(i) != ' ') {
        if (!Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) > 0x7f) {
          return false;
        }
        i++;
      }
      if (i == value) {
        return false;
      }
    }
    return true;
  }

  private static String trimOne(String s) {
    return !s.isEmpty() && (s.endsWith("\n") || s.endsWith("\0"))
        ? s.substring(0, s.length() - 1)
        : s;
  }

  /** {@code uuid_is_valid()}: 8-4-4-4-12 hex digits. */
  private static boolean isUuid(String s) {
    return s.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  }
}
