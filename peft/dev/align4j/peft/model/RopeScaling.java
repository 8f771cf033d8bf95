package dev.align4j.peft.model;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A RoPE variant other than plain RoPE ({@code rope_type} "default", which {@link ModelConfig}
 * represents as {@code null}): transformers 5.17's {@code modeling_rope_utils} types {@code linear},
 * {@code dynamic}, {@code yarn} and {@code llama3}.
 *
 * <p>Inverse frequencies are computed in float32 step by step as torch does (a Python scalar meets
 * a float32 tensor as a float32), so that the tables agree with transformers' to the last bit in
 * almost every entry: at position 4096 one ulp of a frequency moves an angle by about 1e-4.
 */
public sealed interface RopeScaling
    permits RopeScaling.Linear, RopeScaling.Dynamic, RopeScaling.Yarn, RopeScaling.Llama3 {

  /** transformers' {@code rope_type} string. */
  String ropeType();

  /** The scaling factor. */
  double factor();

  /**
   * Inverse frequencies {@code [dim/2]} for a forward whose positions are all below {@code seqLen}.
   *
   * @param theta the base ({@code rope_theta})
   * @param dim the rotary dimension (the head dim)
   * @param maxPositionEmbeddings the config's {@code max_position_embeddings}
   * @param seqLen largest position id + 1 of this forward (only {@link Dynamic} reads it)
   */
  float[] invFreq(double theta, int dim, int maxPositionEmbeddings, long seqLen);

  /** The factor cos and sin are multiplied by (transformers' {@code attention_scaling}). */
  default double attentionFactor() {
    return 1.0;
  }

  /** Whether the frequencies depend on the sequence length ({@link Dynamic}). */
  default boolean lengthDependent() {
    return false;
  }

  /** Writes this variant's {@code rope_scaling} entries (rope_type and its parameters). */
  void writeJson(ObjectNode n);

  /** Plain RoPE, {@code 1 / theta^(2i/dim)} in float32 as transformers' default computes it. */
  static float[] plain(double theta, int dim) {
    float base = (float) theta;
    float[] f = new float[dim / 2];
    for (int i = 0; i < f.length; i++) {
      float e = (float) (2 * i) / (float) dim;
      f[i] = 1f / (float) Math.pow(base, e);
    }
    return f;
  }

  /** Positions divided by {@code factor} ({@code _compute_linear_scaling_rope_parameters}). */
  record Linear(double factor) implements RopeScaling {
    /** Validates the factor. */
    public Linear {
      positive("factor", factor);
    }

    @Override
    public String ropeType() {
      return "linear";
    }

    @Override
    public float[] invFreq(double theta, int dim, int maxPositionEmbeddings, long seqLen) {
      float[] f = plain(theta, dim);
      for (int i = 0; i < f.length; i++) {
        f[i] = f[i] / (float) factor;
      }
      return f;
    }

    @Override
    public void writeJson(ObjectNode n) {
      n.put("rope_type", "linear").put("factor", factor);
    }
  }

  /**
   * Dynamic NTK scaling ({@code _compute_dynamic_ntk_parameters}): plain RoPE up to {@code
   * max_position_embeddings}; beyond, the base grows with the sequence length. transformers
   * recomputes it per forward from the largest position id (in float32 tensor arithmetic).
   */
  record Dynamic(double factor) implements RopeScaling {
    /** Validates the factor. */
    public Dynamic {
      positive("factor", factor);
    }

    @Override
    public String ropeType() {
      return "dynamic";
    }

    @Override
    public boolean lengthDependent() {
      return true;
    }

    @Override
    public float[] invFreq(double theta, int dim, int maxPositionEmbeddings, long seqLen) {
      if (seqLen <= maxPositionEmbeddings) {
        return plain(theta, dim);
      }
      // base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2)), seq_len a tensor
      float s = (float) factor * (float) seqLen;
      s = s / (float) maxPositionEmbeddings;
      s = s - (float) (factor - 1);
      float grown = (float) Math.pow(s, (double) dim / (dim - 2));
      float base = (float) theta * grown;
      float[] f = new float[dim / 2];
      for (int i = 0; i < f.length; i++) {
        float e = (float) (2 * i) / (float) dim;
        f[i] = 1f / (float) Math.pow(base, e);
      }
      return f;
    }

    @Override
    public void writeJson(ObjectNode n) {
      n.put("rope_type", "dynamic").put("factor", factor);
    }
  }

  /**
   * YaRN (Peng et al. 2023; {@code _compute_yarn_parameters}): frequencies blended between
   * interpolated and extrapolated by a linear ramp over dimensions, and cos/sin scaled by the
   * attention factor.
   *
   * @param explicitAttentionFactor {@code attention_factor}, or null for the mscale formula
   * @param betaFast {@code beta_fast} (32 when absent or 0, as transformers' {@code or 32})
   * @param betaSlow {@code beta_slow} (1 when absent or 0)
   * @param mscale {@code mscale}, or null
   * @param mscaleAllDim {@code mscale_all_dim}, or null
   * @param truncate whether the correction range is rounded outward (default true)
   */
  record Yarn(
      double factor, int originalMaxPositionEmbeddings, Double explicitAttentionFactor, double betaFast,
      double betaSlow, Double mscale, Double mscaleAllDim, boolean truncate) implements RopeScaling {
    /** Validates the parameters. */
    public Yarn {
      positive("factor", factor);
      positive("original_max_position_embeddings", originalMaxPositionEmbeddings);
      if (explicitAttentionFactor != null && !(explicitAttentionFactor >= 0)) {
        throw new IllegalArgumentException("rope_scaling: attention_factor must be >= 0, got " + explicitAttentionFactor);
      }
    }

    @Override
    public String ropeType() {
      return "yarn";
    }

    @Override
    public double attentionFactor() {
      if (explicitAttentionFactor != null) {
        return explicitAttentionFactor;
      }
      if (mscale != null && mscale != 0 && mscaleAllDim != null && mscaleAllDim != 0) {
        return mscale(factor, mscale) / mscale(factor, mscaleAllDim);
      }
      return mscale(factor, 1);
    }

    private static double mscale(double scale, double m) {
      return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    private double correctionDim(double rotations, int dim, double base) {
      return dim * Math.log(originalMaxPositionEmbeddings / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    @Override
    public float[] invFreq(double theta, int dim, int maxPositionEmbeddings, long seqLen) {
      double low = correctionDim(betaFast, dim, theta);
      double high = correctionDim(betaSlow, dim, theta);
      if (truncate) {
        low = Math.floor(low);
        high = Math.ceil(high);
      }
      low = Math.max(low, 0);
      high = Math.min(high, dim - 1);
      if (low == high) {
        high += 0.001;  // transformers: prevent singularity
      }
      float fb = (float) theta;
      float[] f = new float[dim / 2];
      for (int i = 0; i < f.length; i++) {
        float posFreq = (float) Math.pow(fb, (float) (2 * i) / (float) dim);
        float extrapolation = 1f / posFreq;
        float interpolation = 1f / ((float) factor * posFreq);
        float ramp = ((float) i - (float) low) / (float) (high - low);
        ramp = Math.min(Math.max(ramp, 0f), 1f);
        float extrapolationFactor = 1f - ramp;
        f[i] = interpolation * (1f - extrapolationFactor) + extrapolation * extrapolationFactor;
      }
      return f;
    }

    @Override
    public void writeJson(ObjectNode n) {
      n.put("rope_type", "yarn").put("factor", factor)
          .put("original_max_position_embeddings", originalMaxPositionEmbeddings)
          .put("beta_fast", betaFast).put("beta_slow", betaSlow).put("truncate", truncate);
      if (explicitAttentionFactor != null) {
        n.put("attention_factor", explicitAttentionFactor);
      }
      if (mscale != null) {
        n.put("mscale", mscale);
      }
      if (mscaleAllDim != null) {
        n.put("mscale_all_dim", mscaleAllDim);
      }
    }
  }

  /**
   * Llama 3.1's frequency-dependent scaling ({@code _compute_llama3_parameters}): wavelengths above
   * {@code original/lowFreqFactor} are divided by {@code factor}, those below {@code
   * original/highFreqFactor} kept, the band between interpolated smoothly.
   *
   * @param factor how much the context was extended (8 for Llama 3.1)
   * @param lowFreqFactor low-frequency boundary divisor
   * @param highFreqFactor high-frequency boundary divisor
   * @param originalMaxPositionEmbeddings the pre-training context length (8192 for Llama 3.1)
   */
  record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings)
      implements RopeScaling {
    /** Validates the parameters. */
    public Llama3 {
      if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor)) {
        throw new IllegalArgumentException(
            "rope_scaling: need factor > 0 and high_freq_factor > low_freq_factor > 0, got factor="
                + factor + " low=" + lowFreqFactor + " high=" + highFreqFactor);
      }
      positive("original_max_position_embeddings", originalMaxPositionEmbeddings);
    }

    @Override
    public String ropeType() {
      return "llama3";
    }

    @Override
    public float[] invFreq(double theta, int dim, int maxPositionEmbeddings, long seqLen) {
      float[] f = plain(theta, dim);
      apply(f);
      return f;
    }

    /** Rescales plain inverse frequencies in place. */
    public void apply(float[] invFreq) {
      float lowWavelen = (float) (originalMaxPositionEmbeddings / lowFreqFactor);
      float highWavelen = (float) (originalMaxPositionEmbeddings / highFreqFactor);
      float fac = (float) factor;
      for (int i = 0; i < invFreq.length; i++) {
        float f = invFreq[i];
        float wavelen = (float) (2 * Math.PI) / f;
        float scaled = wavelen > lowWavelen ? f / fac : f;
        boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
        if (medium) {
          float smooth = ((float) originalMaxPositionEmbeddings / wavelen - (float) lowFreqFactor)
              / (float) (highFreqFactor - lowFreqFactor);
          scaled = (1f - smooth) * scaled / fac + smooth * scaled;
        }
        invFreq[i] = scaled;
      }
    }

    @Override
    public void writeJson(ObjectNode n) {
      n.put("rope_type", "llama3").put("factor", factor).put("low_freq_factor", lowFreqFactor)
          .put("high_freq_factor", highFreqFactor)
          .put("original_max_position_embeddings", originalMaxPositionEmbeddings);
    }
  }

  private static void positive(String key, double v) {
    if (!(v > 0)) {
      throw new IllegalArgumentException("rope_scaling: " + key + " must be > 0, got " + v);
    }
  }
}
