package dev.align4j.peft.data;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Expected values are hand-derived: ID check characters and Luhn digits computed independently (Python). */
class PiiScrubberTest {
  // GB 11643 check characters computed by hand/Python: 17 digits -> check
  private static final String ID_X = "11010519491231002X";
  private static final String ID_6 = "440305199003071236";

  private static String scrub(String s) {
    return new PiiScrubber().scrub(s);
  }

  @Test
  void validatorsAgreeWithIndependentValues() {
    assertThat(PiiScrubber.idCheckChar("11010519491231002")).isEqualTo('X');
    assertThat(PiiScrubber.idCheckChar("44030519900307123")).isEqualTo('6');
    assertThat(PiiScrubber.isValidId18(ID_X)).isTrue();
    assertThat(PiiScrubber.isValidId18("11010519491231002x")).isTrue();
    assertThat(PiiScrubber.isValidId18("440305199003071237")).isFalse();     // wrong check digit
    assertThat(PiiScrubber.isValidId18("44030519901307123X")).isFalse();     // checksum ok, month 13
    assertThat(PiiScrubber.luhn("4111111111111111")).isTrue();
    assertThat(PiiScrubber.luhn("4111111111111112")).isFalse();
    assertThat(PiiScrubber.luhn("6222021234567890128")).isTrue();
  }

  @Test
  void residentIds() {
    assertThat(scrub("身份证号" + ID_X + "，请核实")).isEqualTo("身份证号[ID]，请核实");
    assertThat(scrub("证件" + ID_6)).isEqualTo("证件[ID]");
    assertThat(scrub("旧证件号110105491231002登记")).isEqualTo("旧证件号[ID]登记");   // 15-digit, 1949-12-31
    // wrong checksum (and not Luhn-valid, not a phone): untouched
    assertThat(scrub("证件440305199003071237")).isEqualTo("证件440305199003071237");
    // valid checksum but impossible birth date
    assertThat(scrub("证件44030519901307123X")).isEqualTo("证件44030519901307123X");
    // 15 digits with month 13 is not an ID
    assertThat(scrub("编号110105491331002")).isEqualTo("编号110105491331002");
    // an ID inside a longer digit run is not an ID
    assertThat(scrub("流水9" + ID_6 + "9")).isEqualTo("流水9" + ID_6 + "9");
  }

  @Test
  void mobileAndLandlinePhones() {
    assertThat(scrub("请联系张工13812345678确认")).isEqualTo("请联系张工[PHONE]确认");
    assertThat(scrub("电话：+86 138-1234-5678。")).isEqualTo("电话：[PHONE]。");
    assertThat(scrub("电话8613812345678")).isEqualTo("电话[PHONE]");
    assertThat(scrub("手机 138 1234 5678")).isEqualTo("手机 [PHONE]");
    assertThat(scrub("座机010-12345678转123，传真0755-1234567")).isEqualTo("座机[PHONE]，传真[PHONE]");
    assertThat(scrub("总机(021)87654321")).isEqualTo("总机[PHONE]");
    assertThat(scrub("分机010-12345678-123；")).isEqualTo("分机[PHONE]；");
    assertThat(scrub("热线0755-12345678 ext 12")).isEqualTo("热线[PHONE]");
    assertThat(scrub("号码010-123456789")).isEqualTo("号码010-123456789");           // 9-digit local part
    assertThat(scrub("86-139-1234-5678")).isEqualTo("[PHONE]");
    // not phones: second digit 2, longer run, 10 digits, timestamp
    assertThat(scrub("编号12812345678")).isEqualTo("编号12812345678");
    assertThat(scrub("订单213812345678")).isEqualTo("订单213812345678");
    assertThat(scrub("订单138123456789")).isEqualTo("订单138123456789");
    assertThat(scrub("订单1381234567")).isEqualTo("订单1381234567");
    assertThat(scrub("2026-03-14 02:13 登录")).isEqualTo("2026-03-14 02:13 登录");
  }

  @Test
  void emails() {
    assertThat(scrub("发送至zhang.san+ops@example.com.cn后")).isEqualTo("发送至[EMAIL]后");
    assertThat(scrub("Mail: a_b@corp-mail.cn, cc x@y.io")).isEqualTo("Mail: [EMAIL], cc [EMAIL]");
    // a phone-like local part belongs to the e-mail
    assertThat(scrub("13812345678@qq.com")).isEqualTo("[EMAIL]");
    assertThat(scrub("user@localhost 和 @提醒")).isEqualTo("user@localhost 和 @提醒");
  }

  @Test
  void bankCards() {
    assertThat(scrub("卡号6222021234567890128已冻结")).isEqualTo("卡号[BANK_CARD]已冻结");
    assertThat(scrub("卡号 4111 1111 1111 1111")).isEqualTo("卡号 [BANK_CARD]");
    assertThat(scrub("卡号4111-1111-1111-1111")).isEqualTo("卡号[BANK_CARD]");
    assertThat(scrub("卡号4111111111111112")).isEqualTo("卡号4111111111111112");       // Luhn fails
    assertThat(scrub("序列41111111111111110")).isEqualTo("序列41111111111111110");     // 17 digits, Luhn fails
    assertThat(scrub("串号94111111111111111123")).isEqualTo("串号94111111111111111123"); // 22-digit run
  }

  @Test
  void ipv4() {
    assertThat(scrub("来自192.168.1.20的请求")).isEqualTo("来自[IP]的请求");
    assertThat(scrub("源IP:8.8.8.8,目的10.0.0.255")).isEqualTo("源IP:[IP],目的[IP]");
    assertThat(scrub("地址256.1.1.1无效")).isEqualTo("地址256.1.1.1无效");
    assertThat(scrub("地址1.2.3.999无效")).isEqualTo("地址1.2.3.999无效");
    assertThat(scrub("版本1.2.3.4.5")).isEqualTo("版本1.2.3.4.5");
    assertThat(scrub("来自 45.13.x.x 的")).isEqualTo("来自 45.13.x.x 的");
  }

  @Test
  void names() {
    PiiScrubber s = new PiiScrubber(List.of("王小明", "Alice Smith", " "));
    assertThat(s.scrub("姓名：张三，电话13812345678")).isEqualTo("姓名：[NAME]，电话[PHONE]");
    assertThat(s.scrub("联系人:李四电话13812345678")).isEqualTo("联系人:[NAME]电话[PHONE]");
    assertThat(s.scrub("Name: John Doe; ok")).isEqualTo("Name: [NAME]; ok");
    assertThat(s.scrub("值班员王小明已处理")).isEqualTo("值班员[NAME]已处理");
    assertThat(s.scrub("cc Alice Smith and Alice Smithson")).isEqualTo("cc [NAME] and Alice Smithson");
    assertThat(s.scrub("username: root")).isEqualTo("username: root");
    assertThat(s.report().counts().get(PiiType.NAME)).isEqualTo(5);
    assertThat(s.report().counts().get(PiiType.PHONE)).isEqualTo(2);
  }

  @Test
  void orderIdBeforePhoneAndCard() {
    // 440305199003071236 contains the mobile-like run 19900307123; it must come out as one [ID]
    assertThat(scrub("证件" + ID_6 + "与手机13912345678")).isEqualTo("证件[ID]与手机[PHONE]");
  }

  @Test
  void scrubsAllStringFieldsAndReportsMaskedExamples() throws Exception {
    ObjectNode rec = (ObjectNode) new ObjectMapper().readTree(
        "{\"instruction\":\"核实\",\"input\":\"身份证" + ID_X + "\",\"n\":13812345678,"
            + "\"history\":[[\"我的邮箱是a@b.cn\",\"好的\"]],\"conversations\":[{\"from\":\"human\",\"value\":\"IP 10.1.2.3\"}]}");
    PiiScrubber s = new PiiScrubber();
    ObjectNode out = s.scrub(rec);
    assertThat(out.get("input").asText()).isEqualTo("身份证[ID]");
    assertThat(out.get("n").asLong()).isEqualTo(13812345678L); // numbers are not strings: untouched
    assertThat(out.at("/history/0/0").asText()).isEqualTo("我的邮箱是[EMAIL]");
    assertThat(out.at("/conversations/0/value").asText()).isEqualTo("IP [IP]");
    assertThat(rec.get("input").asText()).contains(ID_X); // input record not mutated
    ScrubReport r = s.report();
    assertThat(r.counts()).containsEntry(PiiType.ID, 1L).containsEntry(PiiType.EMAIL, 1L)
        .containsEntry(PiiType.IP, 1L).containsEntry(PiiType.PHONE, 0L);
    assertThat(r.total()).isEqualTo(3);
    assertThat(r.examples().get(PiiType.ID)).containsExactly("1101**********002X");
    assertThat(r.examples().get(PiiType.EMAIL)).containsExactly("a***@b.cn");
    assertThat(r.examples().get(PiiType.IP)).containsExactly("10.*.*.*");
  }
}
