package io.slabfs.kernel.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's list of sim/ctl commands is the command table's own help, not a hand-kept copy. */
class SimCtlReadmeTest {
  @Test
  void readmeListsExactlyTheCommandTable() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    String head = "`sim/ctl` commands (one usage a line, as the command table has them):\n\n```\n";
    int from = readme.indexOf(head);
    assertThat(from).as("the README's sim/ctl block").isNotNegative();
    from += head.length();
    String block = readme.substring(from, readme.indexOf("```", from));
    assertThat(block).isEqualTo(SimCtl.help());
  }
}
