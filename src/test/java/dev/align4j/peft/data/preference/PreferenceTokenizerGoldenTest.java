package dev.align4j.peft.data.preference;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Token ids equal those of TRL 1.13's own RewardTrainer/DPOTrainer/KTOTrainer._prepare_dataset (and, at
 * cutoff_len, their filters and DPO's collator truncation) on the committed Qwen3 and Llama 3.1
 * tokenizers; goldens made by src/test/resources/preference/make_goldens.py.
 */
class PreferenceTokenizerGoldenTest {
  private static final Path DIR = Path.of("src/test/resources/preference");
  private static final Map<String, Path> TOKENIZERS = Map.of(
      "qwen3", Path.of("recipes/assets/tokenizers/qwen3"),
      "llama3_1", Path.of("src/test/resources/tokenizers/llama3_1"));
  private static final List<String> PAIRS = List.of("pairs_text", "pairs_text_implicit", "pairs_chat",
      "pairs_chat_implicit");
  private static final List<String> UNPAIRED = List.of("unpaired_text", "unpaired_chat");
  private static JsonNode goldens;
  private static final Map<String, Tokenizer> LOADED = new java.util.HashMap<>();

  @BeforeAll
  static void load() throws Exception {
    goldens = new ObjectMapper().readTree(DIR.resolve("goldens.json").toFile());
  }

  @AfterAll
  static void close() {
    LOADED.values().forEach(Tokenizer::close);
  }

  private static PreferenceTokenizer tokenizer(String name) throws Exception {
    Tokenizer t = LOADED.get(name);
    if (t == null) {
      t = Tokenizer.load(TOKENIZERS.get(name));
      LOADED.put(name, t);
    }
    return PreferenceTokenizer.of(t);
  }

  private static long[] ids(JsonNode n) {
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asLong();
    }
    return out;
  }

  private static long[] concat(long[] a, long[] b) {
    return LongStream.concat(Arrays.stream(a), Arrays.stream(b)).toArray();
  }

  private static long[] mask(int zeros, int ones) {
    long[] m = new long[zeros + ones];
    Arrays.fill(m, zeros, m.length, 1);
    return m;
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen3", "llama3_1"})
  void rewardAndDpoIdsEqualTrl(String tok) throws Exception {
    PreferenceTokenizer pt = tokenizer(tok);
    int cut = goldens.get("cut").asInt();
    int checked = 0;
    for (String name : PAIRS) {
      JsonNode g = goldens.get("tokenizers").get(tok).get(name);
      List<PreferencePair> pairs = PreferenceData.readPairs(DIR.resolve(name + ".jsonl"));
      assertThat(pairs).hasSize(g.get("rm").size());
      for (int i = 0; i < pairs.size(); i++) {
        PreferencePair p = pairs.get(i);
        String where = tok + " " + name + " " + p.extras().get("id");
        JsonNode rm = g.get("rm").get(i);
        assertThat(p.extras().get("id")).isEqualTo(rm.get("id").asText());
        RewardEncoding r = pt.forReward(p);
        assertThat(r.chosenIds()).as(where).containsExactly(ids(rm.get("chosen_ids")));
        assertThat(r.rejectedIds()).as(where).containsExactly(ids(rm.get("rejected_ids")));
        JsonNode dpo = g.get("dpo").get(i);
        DpoEncoding d = pt.forDpo(p);
        assertThat(d.promptIds()).as(where).containsExactly(ids(dpo.get("prompt_ids")));
        assertThat(d.chosenIds()).as(where).containsExactly(ids(dpo.get("chosen_ids")));
        assertThat(d.rejectedIds()).as(where).containsExactly(ids(dpo.get("rejected_ids")));
        checked++;
      }
      // at cutoff_len: RewardTrainer's filter = our DROP; DPO's filter + collator = our TRUNCATE KEEP_START
      Prepared<RewardEncoding> rm = new PreferencePreparer(pt, PreferenceOptions.drop(cut)).forReward(pairs);
      List<String> rmKept = rm.examples().stream().map(e -> e.source().extras().get("id")).toList();
      assertThat(rmKept).as(tok + " " + name).containsExactlyElementsOf(texts(g.get("rm_cut")));
      assertThat(rm.report().count(ProblemKind.TOO_LONG, Outcome.DROPPED)).isEqualTo(pairs.size() - rmKept.size());
      Prepared<DpoEncoding> dpo = new PreferencePreparer(pt, PreferenceOptions.truncateKeepStart(cut)).forDpo(pairs);
      JsonNode dc = g.get("dpo_cut");
      assertThat(dpo.examples()).hasSize(dc.size());
      for (int i = 0; i < dc.size(); i++) {
        DpoEncoding e = dpo.examples().get(i);
        JsonNode x = dc.get(i);
        assertThat(e.source().extras().get("id")).isEqualTo(x.get("id").asText());
        assertThat(concat(e.promptIds(), e.chosenIds())).containsExactly(ids(x.get("chosen_input_ids")));
        assertThat(concat(e.promptIds(), e.rejectedIds())).containsExactly(ids(x.get("rejected_input_ids")));
        assertThat(mask(e.promptIds().length, e.chosenIds().length)).containsExactly(ids(x.get("chosen_completion_mask")));
        assertThat(mask(e.promptIds().length, e.rejectedIds().length))
            .containsExactly(ids(x.get("rejected_completion_mask")));
      }
    }
    assertThat(checked).isEqualTo(13);
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen3", "llama3_1"})
  void ktoIdsEqualTrlForUnpairedAndUnpairedPairs(String tok) throws Exception {
    PreferenceTokenizer pt = tokenizer(tok);
    int cut = goldens.get("cut").asInt();
    List<String> files = new ArrayList<>(UNPAIRED);
    files.addAll(PAIRS);
    for (String name : files) {
      JsonNode g = goldens.get("tokenizers").get(tok).get(name);
      List<UnpairedExample> xs = PreferenceData.readUnpaired(DIR.resolve(name + ".jsonl"));
      JsonNode kto = g.get("kto");
      assertThat(xs).hasSize(kto.size());
      for (int i = 0; i < xs.size(); i++) {
        String where = tok + " " + name + " " + i;
        KtoEncoding e = pt.forKto(xs.get(i));
        assertThat(xs.get(i).extras().get("id")).as(where).isEqualTo(kto.get(i).get("id").asText());
        assertThat(e.label()).as(where).isEqualTo(kto.get(i).get("label").asBoolean());
        assertThat(e.promptIds()).as(where).containsExactly(ids(kto.get(i).get("prompt_ids")));
        assertThat(e.completionIds()).as(where).containsExactly(ids(kto.get(i).get("completion_ids")));
      }
      Prepared<KtoEncoding> cutData = new PreferencePreparer(pt, PreferenceOptions.truncateKeepStart(cut)).forKto(xs);
      assertThat(cutData.examples()).extracting(e -> e.source().extras().get("id") + (e.label() ? "+" : "-"))
          .as(tok + " " + name).containsExactlyElementsOf(texts(g.get("kto_cut")));
      assertThat(cutData.examples()).allSatisfy(e -> assertThat(e.length()).isLessThanOrEqualTo(cut));
    }
  }

  private static List<String> texts(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(n -> out.add(n.asText()));
    return out;
  }
}
