package dev.align4j.dpo.loss.check;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.dpo.loss.ChosenRejected;
import dev.align4j.dpo.loss.CpoLogps;
import dev.align4j.dpo.loss.CpoLoss;
import dev.align4j.dpo.loss.CpoLossConfig;
import dev.align4j.dpo.loss.CpoLossOutput;
import dev.align4j.dpo.loss.CpoLossType;
import dev.align4j.dpo.loss.DpoLoss;
import dev.align4j.dpo.loss.DpoLossConfig;
import dev.align4j.dpo.loss.DpoLossOutput;
import dev.align4j.dpo.loss.DpoLossType;
import dev.align4j.dpo.loss.FDivergence;
import dev.align4j.dpo.loss.KtoLogps;
import dev.align4j.dpo.loss.KtoLoss;
import dev.align4j.dpo.loss.KtoLossConfig;
import dev.align4j.dpo.loss.KtoLossOutput;
import dev.align4j.dpo.loss.KtoLossType;
import dev.align4j.dpo.loss.LogitMetrics;
import dev.align4j.dpo.loss.OrpoLogps;
import dev.align4j.dpo.loss.OrpoLoss;
import dev.align4j.dpo.loss.OrpoLossConfig;
import dev.align4j.dpo.loss.OrpoLossOutput;
import dev.align4j.dpo.loss.PreferenceLogps;
import dev.align4j.dpo.loss.SequenceLogps;
import dev.align4j.peft.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs loss cases in the format of {@code make_loss_goldens.py} (named datasets of token ids, masks and
 * float logits; cases naming a kind, a dataset and a TRL-named config) through align4j, from the
 * policy logits as a gradient leaf: {@link SequenceLogps} reductions, then the loss. Each result holds
 * the loss, the metrics under TRL's names and the gradient of the loss with respect to the policy
 * logits, so the caller can compare all three with TRL's.
 */
public final class LossCaseRunner {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LossCaseRunner() {}

  /** One align4j result. */
  public record Result(String name, double loss, Map<String, Double> metrics, double[] gradPolicyLogits) {}

  /** Runs every case of a goldens document on the CPU. */
  public static List<Result> runAll(JsonNode doc) {
    return runAll(doc, Device.cpu());
  }

  /** Runs every case of a goldens document on a device. */
  public static List<Result> runAll(JsonNode doc, Device device) {
    List<Result> out = new ArrayList<>();
    for (JsonNode c : doc.path("cases")) {
      out.add(run(doc, c, device));
    }
    return out;
  }

  /** The results as JSON: {@code {"cases": [{"name", "loss", "metrics", "grad_policy_logits"}]}}. */
  public static ObjectNode toJson(List<Result> results) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode cases = root.putArray("cases");
    for (Result r : results) {
      ObjectNode n = cases.addObject();
      n.put("name", r.name());
      n.put("loss", r.loss());
      ObjectNode m = n.putObject("metrics");
      r.metrics().forEach(m::put);
      ArrayNode g = n.putArray("grad_policy_logits");
      for (double v : r.gradPolicyLogits()) {
        g.add(v);
      }
    }
    return root;
  }

  /** Runs one case on the CPU. */
  public static Result run(JsonNode doc, JsonNode c) {
    return run(doc, c, Device.cpu());
  }

  /** Runs one case on a device. */
  public static Result run(JsonNode doc, JsonNode c, Device device) {
    String name = c.path("name").asText();
    String kind = c.path("kind").asText();
    JsonNode ds = doc.path("datasets").path(c.path("dataset").asText());
    if (ds.isMissingNode()) {
      throw new IllegalArgumentException("case " + name + ": no dataset '" + c.path("dataset").asText() + "'");
    }
    try (NDManager m = Torch.newManager(device)) {
      NDArray logits = array(m, ds, "policy_logits");
      logits.setRequiresGradient(true);
      Result r;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        Computed out;
        switch (kind) {
          case "dpo":
            out = dpo(m, ds, c.path("config"), logits);
            break;
          case "kto":
            out = kto(m, ds, c.path("config"), logits);
            break;
          case "orpo":
          case "cpo":
            out = pair(m, ds, kind, c.path("config"), logits);
            break;
          default:
            throw new IllegalArgumentException("case " + name + ": unknown kind '" + kind + "'");
        }
        gc.backward(out.loss);
        double loss = out.loss.toType(DataType.FLOAT64, false).getDouble();
        r = new Result(name, loss, out.metrics, toDoubles(logits.getGradient()));
      }
      return r;
    }
  }

  private record Computed(NDArray loss, Map<String, Double> metrics) {}

  private static Computed dpo(NDManager m, JsonNode ds, JsonNode cfgJson, NDArray logits) {
    DpoLossConfig cfg = dpoConfig(cfgJson);
    Rows rows = rows(m, ds);
    int b = rows.n / 2;
    NDArray shift = logits.get(":, :-1, :");                                       // [2B, T, V]
    NDArray tok = SequenceLogps.perToken(shift, rows.labels);                      // [2B, T]
    NDArray refTok = SequenceLogps.perToken(array(m, ds, "ref_logits").get(":, :-1, :"), rows.labels);
    NDArray maskC = rows.mask.get("0:" + b);
    NDArray maskR = rows.mask.get(b + ":");
    NDArray tokC = tok.get("0:" + b);
    NDArray tokR = tok.get(b + ":");
    NDArray pc;
    NDArray pr;
    NDArray rc;
    NDArray rr;
    JsonNode ld = cfgJson.path("ld_alpha");
    if (ld.isNumber()) {
      ChosenRejected p = SequenceLogps.ldAlphaSums(tokC, tokR, maskC, maskR, ld.asDouble());
      ChosenRejected r = SequenceLogps.ldAlphaSums(refTok.get("0:" + b), refTok.get(b + ":"), maskC, maskR,
          ld.asDouble());
      pc = p.chosen();
      pr = p.rejected();
      rc = r.chosen();
      rr = r.rejected();
    } else {
      pc = SequenceLogps.sum(tokC, maskC);
      pr = SequenceLogps.sum(tokR, maskR);
      rc = SequenceLogps.sum(refTok.get("0:" + b), maskC);
      rr = SequenceLogps.sum(refTok.get(b + ":"), maskR);
    }
    PreferenceLogps in = cfg.referenceFree() ? PreferenceLogps.referenceFree(pc, pr) : PreferenceLogps.of(pc, pr, rc, rr);
    if (cfg.needsLengths()) {
      // TRL counts the unshifted completion mask for ipo / sigmoid_norm
      NDArray full = rows.completion;
      in = in.withLengths(SequenceLogps.lengths(full.get("0:" + b), pc), SequenceLogps.lengths(full.get(b + ":"), pc));
    }
    if (cfg.needsSftNll()) {
      in = in.withSftNll(SequenceLogps.tokenMeanNll(tokC, maskC));
    }
    if (cfg.useWeighting()) {
      in = in.withWpoWeights(SequenceLogps.wpoWeights(tokC, shift.get("0:" + b), maskC),
          SequenceLogps.wpoWeights(tokR, shift.get(b + ":"), maskR));
    }
    DpoLossOutput out = DpoLoss.compute(cfg, in);
    Map<String, Double> metrics = out.metrics().logs();
    metrics.putAll(LogitMetrics.of(shift.get("0:" + b), shift.get(b + ":"), rows.labels.get("0:" + b), maskC, maskR)
        .logs());
    return new Computed(out.loss(), metrics);
  }

  private static Computed kto(NDManager m, JsonNode ds, JsonNode cfgJson, NDArray logits) {
    KtoLossConfig cfg = new KtoLossConfig(cfgJson.path("beta").asDouble(),
        KtoLossType.fromId(cfgJson.path("loss_type").asText()), cfgJson.path("desirable_weight").asDouble(),
        cfgJson.path("undesirable_weight").asDouble());
    Rows rows = rows(m, ds);
    NDArray pol = SequenceLogps.sum(SequenceLogps.perToken(logits.get(":, :-1, :"), rows.labels), rows.mask);
    NDArray ref = SequenceLogps.sum(
        SequenceLogps.perToken(array(m, ds, "ref_logits").get(":, :-1, :"), rows.labels), rows.mask);
    NDArray klLabels = array(m, ds, "KL_input_ids").get(":, 1:");
    NDArray klMask = array(m, ds, "KL_completion_mask").get(":, 1:");
    NDArray klPol = SequenceLogps.sum(
        SequenceLogps.perToken(array(m, ds, "policy_KL_logits").get(":, :-1, :"), klLabels), klMask);
    NDArray klRef = SequenceLogps.sum(
        SequenceLogps.perToken(array(m, ds, "ref_KL_logits").get(":, :-1, :"), klLabels), klMask);
    long[] label = array(m, ds, "label").toLongArray();
    boolean[] desirable = new boolean[label.length];
    for (int i = 0; i < label.length; i++) {
      desirable[i] = label[i] != 0;
    }
    boolean kl = cfg.lossType().usesKl();
    KtoLossOutput out = KtoLoss.compute(cfg, new KtoLogps(pol, ref, desirable, kl ? klPol : null, kl ? klRef : null));
    Map<String, Double> metrics = out.metrics().logs();
    // TRL's KTO logs the logit means per side (only for a side with tokens) and the entropy, not the accuracy
    boolean[] undesirable = new boolean[desirable.length];
    for (int i = 0; i < desirable.length; i++) {
      undesirable[i] = !desirable[i];
    }
    NDArray dRows = m.create(desirable);
    NDArray uRows = m.create(undesirable);
    NDArray shift = logits.get(":, :-1, :");
    LogitMetrics lm = LogitMetrics.of(shift.get(dRows), shift.get(uRows), rows.labels.get(dRows), rows.mask.get(dRows),
        rows.mask.get(uRows));
    metrics.put("entropy", lm.entropy());
    if (out.metrics().logs().containsKey("rewards/chosen")) {
      metrics.put("logits/chosen", lm.logitsChosen());
    }
    if (out.metrics().logs().containsKey("rewards/rejected")) {
      metrics.put("logits/rejected", lm.logitsRejected());
    }
    return new Computed(out.loss(), metrics);
  }

  private static Computed pair(NDManager m, JsonNode ds, String kind, JsonNode cfgJson, NDArray logits) {
    Rows rows = rows(m, ds);
    int b = rows.n / 2;
    NDArray tok = SequenceLogps.perToken(logits.get(":, :-1, :"), rows.labels);    // [2B, T]
    NDArray tokC = tok.get("0:" + b);
    NDArray tokR = tok.get(b + ":");
    NDArray maskC = rows.mask.get("0:" + b);
    NDArray maskR = rows.mask.get(b + ":");
    if (kind.equals("orpo")) {
      // ORPO's NLL covers prompt and completion: only padding is masked
      NDArray attC = array(m, ds, "attention_mask").get("0:" + b + ", 1:");
      OrpoLogps in = new OrpoLogps(SequenceLogps.mean(tokC, maskC), SequenceLogps.mean(tokR, maskR),
          SequenceLogps.tokenMeanNll(tokC, attC));
      OrpoLossOutput out = OrpoLoss.compute(new OrpoLossConfig(cfgJson.path("beta").asDouble()), in);
      return new Computed(out.loss(), out.logs());
    }
    CpoLossConfig cfg = new CpoLossConfig(cfgJson.path("beta").asDouble(),
        CpoLossType.fromId(cfgJson.path("loss_type").asText()), cfgJson.path("label_smoothing").asDouble(),
        cfgJson.path("simpo_gamma").asDouble(), cfgJson.path("cpo_alpha").asDouble(), cfgJson.path("alpha").asDouble());
    boolean avg = cfg.lossType().averagesLogps();
    NDArray pc = avg ? SequenceLogps.mean(tokC, maskC) : SequenceLogps.sum(tokC, maskC);
    NDArray pr = avg ? SequenceLogps.mean(tokR, maskR) : SequenceLogps.sum(tokR, maskR);
    NDArray nll = cfg.cpoAlpha() == 0 ? null : SequenceLogps.tokenMeanNll(tokC, maskC);
    CpoLossOutput out = CpoLoss.compute(cfg, new CpoLogps(pc, pr, nll));
    return new Computed(out.loss(), out.logs());
  }

  /** TRL's DPOConfig names to a {@link DpoLossConfig}. */
  static DpoLossConfig dpoConfig(JsonNode c) {
    List<DpoLossType> types = new ArrayList<>();
    for (JsonNode t : c.path("loss_type")) {
      types.add(DpoLossType.fromId(t.asText()));
    }
    List<Double> weights = null;
    if (c.path("loss_weights").isArray()) {
      weights = new ArrayList<>();
      for (JsonNode w : c.path("loss_weights")) {
        weights.add(w.asDouble());
      }
    }
    JsonNode ld = c.path("ld_alpha");
    return new DpoLossConfig(c.path("beta").asDouble(), types, weights, c.path("label_smoothing").asDouble(),
        FDivergence.fromId(c.path("f_divergence_type").asText("reverse_kl")),
        c.path("f_alpha_divergence_coef").asDouble(0.5), ld.isNumber() ? ld.asDouble() : 1.0,
        c.path("discopop_tau").asDouble(0.05), c.path("use_weighting").asBoolean(),
        c.path("reference_free").asBoolean());
  }

  /** Shifted labels and completion mask, and the unshifted completion mask. */
  private record Rows(int n, NDArray labels, NDArray mask, NDArray completion) {}

  private static Rows rows(NDManager m, JsonNode ds) {
    NDArray ids = array(m, ds, "input_ids");
    NDArray comp = array(m, ds, "completion_mask");
    return new Rows((int) ids.getShape().get(0), ids.get(":, 1:"), comp.get(":, 1:"), comp);
  }

  /** A dataset array: int64 as given; floats as float64, or float32 when the dataset says so. */
  static NDArray array(NDManager m, JsonNode ds, String key) {
    JsonNode a = ds.path(key);
    if (a.isMissingNode()) {
      throw new IllegalArgumentException("dataset has no array '" + key + "'");
    }
    JsonNode shapeNode = a.path("shape");
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong();
    }
    JsonNode data = a.path("data");
    String dtype = a.path("dtype").asText("float64");
    if (dtype.equals("int64")) {
      long[] v = new long[data.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = data.get(i).asLong();
      }
      return m.create(v, new Shape(shape));
    }
    double[] v = new double[data.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = data.get(i).asDouble();
    }
    NDArray x = m.create(v, new Shape(shape));
    return dtype.equals("float32") ? x.toType(DataType.FLOAT32, false) : x;
  }

  private static double[] toDoubles(NDArray x) {
    return x.toType(DataType.FLOAT64, false).toDoubleArray();
  }
}
