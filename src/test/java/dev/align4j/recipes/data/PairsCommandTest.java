package dev.align4j.recipes.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.sft.demo.CharTokenizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code align4j data pairs}: ids per stage, the problem report, errors with file:line: field. */
class PairsCommandTest {
  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = new CommandLine(new DataCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void writesIdsPerStageAndPrintsTheReport() throws Exception {
    Path tok = dir.resolve("tok");
    CharTokenizer.write(tok, List.of("pcrxyz"));
    Path in = dir.resolve("pairs.jsonl");
    Files.writeString(in, "{\"prompt\":\"pp\",\"chosen\":\"cc\",\"rejected\":\"rrrrr\",\"margin\":1.5,\"id\":\"a\"}\n"
        + "{\"prompt\":\"pp\",\"chosen\":\"x\",\"rejected\":\"x\"}\n");
    Path outDir = dir.resolve("ids");
    assertThat(run("pairs", in.toString(), "--model-or-tokenizer", tok.toString(), "--for", "rm,dpo,kto",
        "--out", outDir.toString(), "--cutoff-len", "6", "--overlong", "truncate")).as(err.toString()).isEqualTo(0);
    // char tokenizer: one id per character, EOS <|im_end|> = 2; after the 4 specials, '\n' 4, ' ' 5, c 6, p 7, r 8
    List<SourceRecord> rm = JsonRecords.readAll(outDir.resolve("rm.jsonl"));
    assertThat(rm).hasSize(1);
    assertThat(rm.get(0).value().toString()).isEqualTo(
        "{\"line\":1,\"id\":\"a\",\"chosen_ids\":[7,7,6,6,2],\"rejected_ids\":[7,7,8,8,8,8],\"margin\":1.5}");
    List<SourceRecord> dpo = JsonRecords.readAll(outDir.resolve("dpo.jsonl"));
    assertThat(dpo.get(0).value().toString()).isEqualTo(
        "{\"line\":1,\"id\":\"a\",\"prompt_ids\":[7,7],\"chosen_ids\":[6,6,2],\"rejected_ids\":[8,8,8,8]}");
    // KTO unpairs first (4 examples); the identical completions are not a pair problem there
    assertThat(JsonRecords.readAll(outDir.resolve("kto.jsonl"))).hasSize(4);
    assertThat(out.toString()).contains(in + " (rm):\npreference data: 2 read, 1 kept, 1 dropped, 1 truncated\n"
        + "  chosen == rejected: 1 dropped (first: " + in + ":2: chosen == rejected)\n"
        + "  longer than cutoff_len: 1 truncated (first: " + in + ":1: 8 tokens > cutoff_len 6)\n");
  }

  @Test
  void badInputNamesFileLineAndField() throws Exception {
    Path tok = dir.resolve("tok");
    CharTokenizer.write(tok, List.of("ab"));
    Path in = dir.resolve("bad.jsonl");
    Files.writeString(in, "{\"chosen\":\"a\",\"rejected\":\"b\"}\n{\"chosen\":\"a\",\"rejected\":{\"x\":1}}\n");
    assertThat(run("pairs", in.toString(), "--model-or-tokenizer", tok.toString(), "--for", "dpo",
        "--out", dir.resolve("o.jsonl").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("error: " + in + ":2: rejected: expected a string or an array of messages but got an object");
    assertThat(Files.exists(dir.resolve("o.jsonl"))).isFalse();   // nothing half-written
    assertThat(run("pairs", in.toString(), "--model-or-tokenizer", tok.toString(), "--for", "ppo",
        "--out", dir.resolve("o.jsonl").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("--for must be rm, dpo or kto, not 'ppo'");
  }
}
