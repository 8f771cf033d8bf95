package dev.align4j.recipes.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.align4j.peft.data.preference.PreferenceData;
import dev.align4j.peft.data.preference.PreferencePair;
import dev.align4j.peft.data.preference.Segment;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.sft.demo.IncidentDataset;
import dev.align4j.sft.demo.IncidentPreferences;
import dev.align4j.sft.demo.IncidentPreferences.Defect;
import dev.align4j.sft.demo.IncidentPreferences.Pair;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The incident task's preference pairs: the demo's judge prefers every chosen report to its rejected one. */
class IncidentPreferencesTest {
  @TempDir
  Path tmp;

  @Test
  void judgeScoresEveryChosenAboveItsRejectedForEachDefect() {
    List<Pair> pairs = IncidentPreferences.generate(600, 7);
    assertThat(pairs).hasSize(600);
    Map<Defect, Integer> perDefect = new EnumMap<>(Defect.class);
    for (Pair p : pairs) {
      IncidentEval.Verdict c = IncidentEval.judge(p.chosen(), p.gold());
      IncidentEval.Verdict r = IncidentEval.judge(p.rejected(), p.gold());
      assertThat(c.points()).as(p.chosen()).isEqualTo(3);
      assertThat(r.points()).as(p.rejected()).isLessThan(c.points());
      // the defect is exactly the one recorded
      switch (p.defect()) {
        case WRONG_EVENT_TYPE -> assertThat(r).isEqualTo(new IncidentEval.Verdict(true, false, true));
        case WRONG_RISK_LEVEL -> assertThat(r).isEqualTo(new IncidentEval.Verdict(true, true, false));
        case BROKEN_FORMAT -> assertThat(IncidentDataset.parse(p.rejected())).isEmpty();
      }
      perDefect.merge(p.defect(), 1, Integer::sum);
    }
    // a seeded mix of the three: each about a third of 600
    assertThat(perDefect.values()).allSatisfy(n -> assertThat(n).isBetween(150, 250));
  }

  @Test
  void deterministicPrefixStableAndSplitOnDisjointAlerts() {
    assertThat(IncidentPreferences.generate(50, 3)).isEqualTo(IncidentPreferences.generate(50, 3));
    assertThat(IncidentPreferences.generate(80, 3).subList(0, 50)).isEqualTo(IncidentPreferences.generate(50, 3));
    assertThat(IncidentPreferences.generate(50, 4)).isNotEqualTo(IncidentPreferences.generate(50, 3));
    IncidentPreferences.Split s = IncidentPreferences.split(200, 48, 11);
    assertThat(s.train()).hasSize(200);
    assertThat(s.heldOut()).hasSize(48);
    Set<String> trainAlerts = new HashSet<>();
    s.train().forEach(p -> trainAlerts.add(p.user()));
    assertThat(trainAlerts).hasSize(200);
    assertThat(s.heldOut()).noneMatch(p -> trainAlerts.contains(p.user()));
  }

  @Test
  void redrawnDefectsFollowTheirWeightsOnTheSameAlerts() {
    List<Pair> pairs = IncidentPreferences.generate(600, 7);
    Map<Defect, Integer> weights = new EnumMap<>(Map.of(Defect.WRONG_RISK_LEVEL, 4, Defect.WRONG_EVENT_TYPE, 1,
        Defect.BROKEN_FORMAT, 1));
    List<Pair> redrawn = IncidentPreferences.redrawDefects(pairs, weights, 9);
    assertThat(redrawn).hasSize(600).isEqualTo(IncidentPreferences.redrawDefects(pairs, weights, 9));
    Map<Defect, Integer> perDefect = new EnumMap<>(Defect.class);
    for (int i = 0; i < pairs.size(); i++) {
      Pair p = redrawn.get(i);
      // the alert, gold and chosen report stay; the rejected one has exactly its recorded defect
      assertThat(p.user()).isEqualTo(pairs.get(i).user());
      assertThat(p.gold()).isEqualTo(pairs.get(i).gold());
      assertThat(p.chosen()).isEqualTo(pairs.get(i).chosen());
      IncidentEval.Verdict r = IncidentEval.judge(p.rejected(), p.gold());
      switch (p.defect()) {
        case WRONG_EVENT_TYPE -> assertThat(r).isEqualTo(new IncidentEval.Verdict(true, false, true));
        case WRONG_RISK_LEVEL -> assertThat(r).isEqualTo(new IncidentEval.Verdict(true, true, false));
        case BROKEN_FORMAT -> assertThat(IncidentDataset.parse(p.rejected())).isEmpty();
      }
      perDefect.merge(p.defect(), 1, Integer::sum);
    }
    // 4:1:1 of 600: 400, 100, 100 expected; binomial standard deviations about 12 and 9
    assertThat(perDefect.get(Defect.WRONG_RISK_LEVEL)).isBetween(350, 450);
    assertThat(perDefect.get(Defect.WRONG_EVENT_TYPE)).isBetween(60, 140);
    assertThat(perDefect.get(Defect.BROKEN_FORMAT)).isBetween(60, 140);
    // a zero weight never draws that defect; all zero or negative is an error
    assertThat(IncidentPreferences.redrawDefects(pairs, Map.of(Defect.WRONG_RISK_LEVEL, 1), 3))
        .allMatch(p -> p.defect() == Defect.WRONG_RISK_LEVEL);
    assertThatThrownBy(() -> IncidentPreferences.redrawDefects(pairs, Map.of(), 3))
        .hasMessageContaining("positive weight");
    assertThatThrownBy(
        () -> IncidentPreferences.redrawDefects(pairs, Map.of(Defect.BROKEN_FORMAT, -1, Defect.WRONG_RISK_LEVEL, 2), 3))
        .hasMessageContaining("broken_format");
  }

  @Test
  void jsonlReadsBackThroughThePreferenceParser() throws Exception {
    List<Pair> pairs = IncidentPreferences.generate(5, 1);
    Path f = tmp.resolve("pairs.jsonl");
    assertThat(IncidentPreferences.writeJsonl(f, pairs)).isEqualTo(5);
    List<PreferencePair> read = PreferenceData.readPairs(f);
    assertThat(read).hasSize(5);
    for (int i = 0; i < 5; i++) {
      PreferencePair r = read.get(i);
      assertThat(r.prompt()).isEqualTo(new Segment.Chat(List.of(ChatMessage.user(pairs.get(i).user()))));
      assertThat(r.chosen()).isEqualTo(new Segment.Chat(List.of(ChatMessage.assistant(pairs.get(i).chosen()))));
      assertThat(r.rejected()).isEqualTo(new Segment.Chat(List.of(ChatMessage.assistant(pairs.get(i).rejected()))));
      assertThat(r.extras()).isEqualTo(Map.of("kind", pairs.get(i).defect().key()));
      assertThat(r.line()).isEqualTo(i + 1);
      assertThat(pairs.get(i).toPreferencePair(f, i + 1)).isEqualTo(r);   // the same pair without the file
    }
  }
}
