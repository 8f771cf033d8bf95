package dev.align4j.sft.demo;

import java.util.Objects;

/**
 * The three parts of an incident report, as parsed by {@link IncidentDataset#parse(String)}.
 *
 * @param eventType  e.g. {@code 暴力破解}
 * @param riskLevel  one of {@code 低, 中, 高, 严重}
 * @param suggestion e.g. {@code 封禁来源IP并启用多因素认证}
 */
public record ParsedReport(String eventType, String riskLevel, String suggestion) {
  public ParsedReport {
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(riskLevel, "riskLevel");
    Objects.requireNonNull(suggestion, "suggestion");
  }

  /** The canonical report text: {@code 事件类型：X；风险等级：Y；建议：Z}. */
  public String format() {
    return "事件类型：" + eventType + "；风险等级：" + riskLevel + "；建议：" + suggestion;
  }
}
