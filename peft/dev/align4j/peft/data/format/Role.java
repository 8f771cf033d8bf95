package dev.align4j.peft.data.format;

/** Speaker of a conversation turn after normalisation. */
public enum Role { SYSTEM, USER, ASSISTANT, TOOL }
