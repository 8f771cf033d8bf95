/**
 * Tokenisation and chat formatting for Hugging Face models.
 *
 * <ul>
 *   <li>{@link dev.align4j.peft.tokenizer.Tokenizer}: tokenizer.json through DJL's HF tokenizers, plus
 *       tokenizer_config.json / generation_config.json (special ids, stop ids, chat template);</li>
 *   <li>{@link dev.align4j.peft.tokenizer.ChatTemplate}: renders {@code chat_template} byte-identically to
 *       transformers' {@code apply_chat_template} (Jinja2 semantics on jinjava plus shims);</li>
 *   <li>{@link dev.align4j.peft.tokenizer.AssistantMasker}: token ids of a conversation and the mask of
 *       assistant-written tokens, for SFT loss masking.</li>
 * </ul>
 */
package dev.align4j.peft.tokenizer;
