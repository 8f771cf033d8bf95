package dev.align4j.sft.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.DedupConfig;
import dev.align4j.peft.data.Deduplicator;
import dev.align4j.peft.data.PiiScrubber;
import dev.align4j.peft.data.PiiType;
import dev.align4j.peft.data.ScrubReport;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class IncidentDatasetTest {
  private static final Pattern COUNT = Pattern.compile("(?<![\\d.:-])(\\d{1,4})(?= ?(次|条|个|封|MB|Mbps))");

  @Test
  void deterministicPerSeed() {
    List<ObjectNode> a = IncidentDataset.generate(300, 7);
    List<ObjectNode> b = IncidentDataset.generate(300, 7);
    List<ObjectNode> c = IncidentDataset.generate(300, 8);
    assertThat(a).hasSize(300).isEqualTo(b).isNotEqualTo(c);
    assertThat(IncidentDataset.generate(0, 7)).isEmpty();
  }

  @Test
  void parseRoundTripAndLabelFollowsTheRule() {
    Map<String, IncidentDataset.EventType> byLabel = new java.util.HashMap<>();
    for (IncidentDataset.EventType t : IncidentDataset.EventType.values()) {
      byLabel.put(t.label(), t);
    }
    Set<String> types = new HashSet<>();
    Set<String> levels = new HashSet<>();
    for (ObjectNode r : IncidentDataset.generate(500, 3)) {
      assertThat(r.get("instruction").asText()).isEqualTo(IncidentDataset.INSTRUCTION);
      String input = r.get("input").asText();
      String output = r.get("output").asText();
      Optional<ParsedReport> p = IncidentDataset.parse(output);
      assertThat(p).as(output).isPresent();
      assertThat(p.get().format()).isEqualTo(output);
      IncidentDataset.EventType t = byLabel.get(p.get().eventType());
      assertThat(t).isNotNull();
      assertThat(p.get().suggestion()).isEqualTo(t.suggestion());
      // risk level recomputed independently from the description's count and asset marker
      Matcher m = COUNT.matcher(input);
      assertThat(m.find()).as(input).isTrue();
      int count = Integer.parseInt(m.group(1));
      int tier = String.valueOf(count).length() - 1 + (input.contains("（核心资产）") ? 1 : 0);
      assertThat(p.get().riskLevel()).as(input).isEqualTo(IncidentDataset.RISK_LEVELS.get(Math.min(3, tier)));
      assertThat(input.length()).as(input).isBetween(30, 110);
      types.add(p.get().eventType());
      levels.add(p.get().riskLevel());
    }
    assertThat(types).hasSize(8);
    assertThat(levels).containsExactlyInAnyOrder("低", "中", "高", "严重");
  }

  @Test
  void parseRejectsOffFormatText() {
    assertThat(IncidentDataset.parse("  事件类型：端口扫描；风险等级：中；建议：封禁扫描源并关闭多余端口\n"))
        .contains(new ParsedReport("端口扫描", "中", "封禁扫描源并关闭多余端口"));
    assertThat(IncidentDataset.parse("事件类型：端口扫描；风险等级：很高；建议：x")).isEmpty();
    assertThat(IncidentDataset.parse("事件类型：端口扫描，风险等级：中，建议：x")).isEmpty();
    assertThat(IncidentDataset.parse("事件类型：端口扫描；风险等级：中；建议：x；多余")).isEmpty();
    assertThat(IncidentDataset.parse("")).isEmpty();
    assertThat(IncidentDataset.parse(null)).isEmpty();
    assertThat(IncidentDataset.riskLevel(9, false)).isEqualTo("低");
    assertThat(IncidentDataset.riskLevel(10, false)).isEqualTo("中");
    assertThat(IncidentDataset.riskLevel(999, true)).isEqualTo("严重");
    assertThat(IncidentDataset.riskLevel(5000, true)).isEqualTo("严重");
  }

  @Test
  void fakePiiIsFoundByTheScrubberAndIdsHaveValidChecksums() {
    SplittableRandom rnd = new SplittableRandom(1);
    for (int i = 0; i < 50; i++) {
      String id = IncidentDataset.idNumber(rnd);
      assertThat(id).hasSize(18);
      assertThat(PiiScrubber.idCheckChar(id.substring(0, 17))).isEqualTo(id.charAt(17));
    }
    List<IncidentDataset.Sample> samples = IncidentDataset.samples(400, 11);
    PiiScrubber scrubber = new PiiScrubber();
    long withPii = 0;
    for (IncidentDataset.Sample s : samples) {
      ObjectNode clean = scrubber.scrub(s.record());
      boolean changed = !clean.equals(s.record());
      assertThat(clean.get("output")).isEqualTo(s.record().get("output"));
      if (s.kind() == IncidentDataset.Kind.WITH_PII) {
        withPii++;
        assertThat(changed).as(s.record().toString()).isTrue();
      } else if (s.kind() == IncidentDataset.Kind.FRESH) {
        assertThat(changed).as(s.record().toString()).isFalse();
      }
    }
    assertThat(withPii).isGreaterThan(10);
    ScrubReport r = scrubber.report();
    EnumMap<PiiType, Long> nonzero = new EnumMap<>(PiiType.class);
    r.counts().forEach((k, v) -> {
      if (v > 0) {
        nonzero.put(k, v);
      }
    });
    assertThat(nonzero.keySet()).containsExactlyInAnyOrder(PiiType.ID, PiiType.PHONE, PiiType.EMAIL, PiiType.NAME);
  }

  @Test
  void injectedDuplicatesAreExactlyWhatDedupRemoves() {
    List<IncidentDataset.Sample> samples = IncidentDataset.samples(600, 5);
    long injected = samples.stream().filter(s -> s.kind() == IncidentDataset.Kind.EXACT_DUPLICATE
        || s.kind() == IncidentDataset.Kind.NEAR_DUPLICATE).count();
    assertThat(injected).isGreaterThan(20);
    assertThat(samples.stream().filter(s -> s.kind() == IncidentDataset.Kind.NEAR_DUPLICATE)).isNotEmpty();
    Deduplicator d = new Deduplicator(DedupConfig.defaults());
    boolean[] kept = new boolean[samples.size()];
    for (int i = 0; i < samples.size(); i++) {
      kept[i] = d.offer(i, samples.get(i).record().get("input").asText());
    }
    for (int i = 0; i < samples.size(); i++) {
      IncidentDataset.Sample s = samples.get(i);
      boolean dup = s.kind() == IncidentDataset.Kind.EXACT_DUPLICATE || s.kind() == IncidentDataset.Kind.NEAR_DUPLICATE;
      assertThat(kept[i]).as("#%d %s %s", i, s.kind(), s.record().get("input")).isEqualTo(!dup);
    }
    assertThat(Arrays.asList(kept.length)).isNotEmpty();
  }
}
