package dev.align4j.peft.torch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The first backward of a fresh process is right without any warm-up: in new JVMs the gradient of
 * the very first backward equals that of a second one, bit for bit, and the processes agree.
 * (Torch used to spend a dummy backward at start-up against a "wrong first gradient"; that was the
 * Java-buffer scalar bug, fixed by Kernels.scalar; see {@link FirstBackwardProbe}.)
 */
class FreshProcessBackwardTest {
  private static final Pattern LINE = Pattern.compile("first=(\\w+) second=(\\w+) loss=\\S+");

  private static String probe() throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(java, "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp",
        System.getProperty("java.class.path"), FirstBackwardProbe.class.getName(), "cold", "kernel")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void firstBackwardOfAFreshProcessEqualsTheSecondAndOtherProcesses() throws Exception {
    List<String> firsts = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      String out = probe();
      Matcher m = LINE.matcher(out);
      assertThat(m.find()).as(out).isTrue();
      assertThat(m.group(1)).as("first vs second backward in one process").isEqualTo(m.group(2));
      firsts.add(m.group(1));
    }
    assertThat(firsts.get(1)).as("first backward, process 2 vs process 1").isEqualTo(firsts.get(0));
  }
}
