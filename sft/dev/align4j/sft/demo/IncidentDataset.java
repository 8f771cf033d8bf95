package dev.align4j.sft.demo;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.PiiScrubber;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic synthetic Chinese security-monitoring instruction task, small enough for a tiny model.
 *
 * <p>Input: a one-line alert such as {@code 2026-03-14 02:13 主机 web-03 检测到来自 45.13.x.x 的 SSH 登录失败 327 次}.
 * Output: {@code 事件类型：暴力破解；风险等级：高；建议：封禁来源IP并启用多因素认证}.
 *
 * <p>The label is a function of the text, so it is learnable: the event type follows from the template
 * wording, the suggestion from the type, and the risk level from the alert's count and the asset:
 * 1-9 → 低, 10-99 → 中, 100-999 → 高, 1000+ → 严重, raised one level (capped at 严重) when the asset is
 * marked {@code （核心资产）}; see {@link #riskLevel(int, boolean)}.
 *
 * <p>About 8% of fresh records carry fake personal data (phone, e-mail, ID number with a valid
 * checksum, contact name) for {@code data clean}; about 4% are exact copies and 4% near copies
 * (a short suffix added) of earlier records for {@code data dedup}.
 */
public final class IncidentDataset {
  /** The fixed instruction of every record. */
  public static final String INSTRUCTION = "分析以下监控告警，输出事件类型、风险等级和处置建议。";
  /** Risk levels from lowest to highest. */
  public static final List<String> RISK_LEVELS = List.of("低", "中", "高", "严重");
  private static final String CRITICAL = "（核心资产）";

  /** The eight event types with their suggestion and alert templates ({h} asset, {ip}, {n} count, {p}, {u}). */
  public enum EventType {
    BRUTE_FORCE("暴力破解", "封禁来源IP并启用多因素认证",
        "主机 {h} 检测到来自 {ip} 的 SSH 登录失败 {n} 次",
        "{h} 出现 {n} 次 RDP 密码错误，来源 {ip}",
        "{ip} 对 {h} 尝试弱口令登录 {n} 次"),
    SQL_INJECTION("SQL注入", "修复注入点并更新WAF规则",
        "WAF 拦截针对 {h} 的 SQL 注入请求 {n} 条，来源 {ip}",
        "{h} 日志出现 {n} 条含 UNION SELECT 的请求",
        "{ip} 向 {h} 提交 {n} 次含 OR 1=1 的参数"),
    MALWARE("恶意软件", "隔离主机并全盘查杀",
        "终端 {h} 发现木马进程 {p}，已感染 {n} 个文件",
        "杀毒软件在 {h} 检出恶意样本 {n} 个",
        "{h} 运行可疑程序 {p}，外连 {ip} 共 {n} 次"),
    DATA_LEAK("数据泄露", "阻断外联并排查泄露范围",
        "{h} 向外部 {ip} 传输敏感数据 {n} MB",
        "DLP 发现 {h} 外发客户信息 {n} 条",
        "{h} 数据库被导出 {n} 条记录至 {ip}"),
    PORT_SCAN("端口扫描", "封禁扫描源并关闭多余端口",
        "防火墙发现 {ip} 对 {h} 扫描 {n} 个端口",
        "{h} 一分钟内收到来自 {ip} 的 SYN 探测 {n} 次",
        "IDS 告警：{ip} 探测 {h} 端口 {n} 次"),
    DDOS("DDoS攻击", "启用流量清洗并扩容带宽",
        "{h} 入口流量突增，异常请求每秒 {n} 次，来源分散",
        "{h} 遭受 UDP 洪泛，峰值 {n} Mbps",
        "CDN 告警：{h} 每秒异常连接 {n} 个"),
    PHISHING("钓鱼邮件", "删除邮件并提醒员工勿点链接",
        "邮件网关发现发往 {h} 的仿冒登录页邮件 {n} 封",
        "{h} 用户收到伪装成 IT 部门的邮件 {n} 封",
        "用户在 {h} 上报可疑附件邮件 {n} 封"),
    PRIVILEGE_ESCALATION("权限提升", "回收权限并审计账号操作",
        "主机 {h} 用户 {u} 异常执行 sudo {n} 次后获得 root",
        "{h} 检测到内核漏洞利用尝试 {n} 次，账号 {u} 权限异常",
        "{h} 普通账号 {u} 被加入管理员组，相关操作 {n} 次");

    private final String label;
    private final String suggestion;
    private final List<String> templates;

    EventType(String label, String suggestion, String... templates) {
      this.label = label;
      this.suggestion = suggestion;
      this.templates = List.of(templates);
    }

    /** Chinese name used in reports, e.g. {@code 暴力破解}. */
    public String label() {
      return label;
    }

    /** The suggestion the report gives for this type. */
    public String suggestion() {
      return suggestion;
    }

    /** Alert templates. */
    public List<String> templates() {
      return templates;
    }
  }

  /** How a generated record came about (for tests and demos of clean/dedup). */
  public enum Kind { FRESH, WITH_PII, EXACT_DUPLICATE, NEAR_DUPLICATE }

  /**
   * One generated record with its provenance.
   *
   * @param record  the alpaca record ({@code instruction}, {@code input}, {@code output})
   * @param kind    how it was made
   * @param source  for duplicates, the index of the record copied; otherwise -1
   */
  public record Sample(ObjectNode record, Kind kind, int source) {
    public Sample {
      Objects.requireNonNull(record, "record");
      Objects.requireNonNull(kind, "kind");
    }
  }

  private static final String[] HOSTS = {"web-03", "app-12", "oa-05", "dev-07", "mail-02", "vpn-01", "db-04", "pay-02", "crm-09", "git-01"};
  private static final String[] PROCS = {"svch0st.exe", "kworkerd", "update.bin", "miner64"};
  private static final String[] USERS = {"ops", "test01", "guest", "backup", "deploy"};
  private static final String[] NAMES = {"张伟", "李娜", "王芳", "刘洋", "陈静", "杨磊"};
  private static final String[] MAIL_USERS = {"zhangwei", "lina", "wangfang", "liuyang", "chenjing", "yanglei"};
  private static final String[] REGIONS = {"110101", "310104", "440305", "330106", "510107"};
  private static final String[] NEAR_SUFFIXES = {"（复核）", "，请核查", "，已告警"};
  private static final Pattern REPORT = Pattern.compile("事件类型：([^；]+)；风险等级：(低|中|高|严重)；建议：([^；]+)");

  private IncidentDataset() {
  }

  /** {@code n} alpaca records; the same {@code (n, seed)} always gives the same records. */
  public static List<ObjectNode> generate(int n, long seed) {
    List<ObjectNode> out = new ArrayList<>(n);
    for (Sample s : samples(n, seed)) {
      out.add(s.record());
    }
    return out;
  }

  /** Like {@link #generate} but with each record's provenance. */
  public static List<Sample> samples(int n, long seed) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0: " + n);
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Sample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      double r = rnd.nextDouble();
      if (i > 0 && r < 0.04) {
        int src = rnd.nextInt(i);
        out.add(new Sample(out.get(src).record().deepCopy(), Kind.EXACT_DUPLICATE, src));
      } else if (i > 0 && r < 0.08) {
        int src = rnd.nextInt(i);
        ObjectNode copy = out.get(src).record().deepCopy();
        copy.put("input", copy.get("input").asText() + NEAR_SUFFIXES[rnd.nextInt(NEAR_SUFFIXES.length)]);
        out.add(new Sample(copy, Kind.NEAR_DUPLICATE, src));
      } else {
        boolean pii = rnd.nextDouble() < 0.08;
        out.add(new Sample(fresh(rnd, pii), pii ? Kind.WITH_PII : Kind.FRESH, -1));
      }
    }
    return out;
  }

  /** The risk rule: count tier by number of digits (1-9 低 … 1000+ 严重), one level up for core assets. */
  public static String riskLevel(int count, boolean criticalAsset) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be >= 1: " + count);
    }
    int tier = count < 10 ? 0 : count < 100 ? 1 : count < 1000 ? 2 : 3;
    return RISK_LEVELS.get(Math.min(3, tier + (criticalAsset ? 1 : 0)));
  }

  /**
   * Parses a report {@code 事件类型：X；风险等级：Y；建议：Z} (surrounding whitespace allowed, nothing else).
   * Empty when the text does not follow the format exactly.
   */
  public static Optional<ParsedReport> parse(String output) {
    if (output == null) {
      return Optional.empty();
    }
    Matcher m = REPORT.matcher(output.strip());
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new ParsedReport(m.group(1).strip(), m.group(2), m.group(3).strip()));
  }

  private static ObjectNode fresh(SplittableRandom rnd, boolean pii) {
    EventType type = EventType.values()[rnd.nextInt(EventType.values().length)];
    String template = type.templates().get(rnd.nextInt(type.templates().size()));
    int tier = rnd.nextInt(4);
    int lo = tier == 0 ? 1 : (int) Math.pow(10, tier);
    int count = lo + rnd.nextInt(lo * 9); // tier 0: 1-9, tier 1: 10-99, ...; same digit count per tier
    boolean critical = rnd.nextInt(4) == 0;
    String host = HOSTS[rnd.nextInt(HOSTS.length)] + (critical ? CRITICAL : "");
    String ip = (11 + rnd.nextInt(200)) + "." + rnd.nextInt(256) + ".x.x";
    String time = String.format("2026-%02d-%02d %02d:%02d", 1 + rnd.nextInt(12), 1 + rnd.nextInt(28),
        rnd.nextInt(24), rnd.nextInt(60));
    String body = template.replace("{h}", host).replace("{ip}", ip).replace("{n}", Integer.toString(count))
        .replace("{p}", PROCS[rnd.nextInt(PROCS.length)]).replace("{u}", USERS[rnd.nextInt(USERS.length)]);
    String input = time + " " + body;
    if (pii) {
      input += piiClause(rnd);
    }
    ObjectNode rec = JsonNodeFactory.instance.objectNode();
    rec.put("instruction", INSTRUCTION);
    rec.put("input", input);
    rec.put("output", new ParsedReport(type.label(), riskLevel(count, critical), type.suggestion()).format());
    return rec;
  }

  private static String piiClause(SplittableRandom rnd) {
    int who = rnd.nextInt(NAMES.length);
    return switch (rnd.nextInt(3)) {
      case 0 -> "，值班人" + NAMES[who] + "电话" + phone(rnd);
      case 1 -> "，联系人：" + NAMES[who] + "，邮箱" + MAIL_USERS[who] + "@example.com";
      default -> "，涉事员工身份证" + idNumber(rnd);
    };
  }

  private static String phone(SplittableRandom rnd) {
    StringBuilder sb = new StringBuilder("1").append(3 + rnd.nextInt(7));
    for (int i = 0; i < 9; i++) {
      sb.append(rnd.nextInt(10));
    }
    return sb.toString();
  }

  /** A fake 18-digit resident ID with a valid GB 11643 check character. */
  static String idNumber(SplittableRandom rnd) {
    String first17 = REGIONS[rnd.nextInt(REGIONS.length)]
        + String.format("%04d%02d%02d%03d", 1960 + rnd.nextInt(41), 1 + rnd.nextInt(12), 1 + rnd.nextInt(28),
        rnd.nextInt(1000));
    return first17 + PiiScrubber.idCheckChar(first17);
  }
}
