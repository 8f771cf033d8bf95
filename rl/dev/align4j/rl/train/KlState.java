package dev.align4j.rl.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.rl.kl.AdaptiveKlController;
import dev.align4j.rl.kl.FixedKlController;
import dev.align4j.rl.kl.KlController;

/** A KL controller to and from a checkpoint's JSON (doubles round-trip exactly through their text). */
final class KlState {
  private KlState() {}

  static ObjectNode toJson(KlController k) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("value", k.value());
    if (k instanceof AdaptiveKlController a) {
      o.put("type", "adaptive");
      o.put("target", a.target());
      o.put("horizon", a.horizon());
    } else {
      o.put("type", "fixed");
    }
    return o;
  }

  static KlController fromJson(JsonNode o) {
    double v = o.path("value").asDouble();
    if ("adaptive".equals(o.path("type").asText())) {
      return new AdaptiveKlController(v, o.path("target").asDouble(), o.path("horizon").asDouble());
    }
    return new FixedKlController(v);
  }
}
