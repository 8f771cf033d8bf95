package dev.align4j.sft.data;

/** Speaker of a conversation turn after normalisation. */
public enum Role { SYSTEM, USER, ASSISTANT, TOOL }
