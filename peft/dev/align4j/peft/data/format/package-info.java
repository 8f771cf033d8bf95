/**
 * Instruction data formats shared by every stage (alpaca, sharegpt, OpenAI messages, plain text),
 * their LLaMA-Factory style column/tag mapping, normalisation to {@link
 * dev.align4j.peft.data.format.Example} (conversations with a system prompt and alternating turns),
 * the message-array parsing that preference data reuses for its prompts ({@link
 * dev.align4j.peft.data.format.ExampleParser#checkMessages}), and file validation.
 */
package dev.align4j.peft.data.format;
