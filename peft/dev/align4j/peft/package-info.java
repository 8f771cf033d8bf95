/**
 * The shared layer every stage stands on: Hugging Face checkpoint I/O, the decoder models, tokenizer and chat templates, generation, the PEFT adapters and the training engine.
 */
package dev.align4j.peft;
