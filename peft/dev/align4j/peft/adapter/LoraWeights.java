package dev.align4j.peft.adapter;

import dev.align4j.peft.model.Parameter;

/**
 * One adapter's weights on one linear module.
 *
 * @param a {@code lora_A}, {@code [r, in]}
 * @param b {@code lora_B}, {@code [out, r]}
 * @param magnitude DoRA's {@code lora_magnitude_vector}, {@code [out]}, or null
 * @param scaling alpha / r (or alpha / sqrt r)
 * @param dropout dropout probability on the adapter input
 */
public record LoraWeights(Parameter a, Parameter b, Parameter magnitude, double scaling, double dropout) {}
