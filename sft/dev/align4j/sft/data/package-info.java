/**
 * Instruction data formats (alpaca, sharegpt, OpenAI messages, plain text), their LLaMA-Factory style
 * column/tag mapping, normalisation to {@link dev.align4j.sft.data.Example} and file validation.
 */
package dev.align4j.sft.data;
