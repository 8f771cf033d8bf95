package dev.align4j.sft.data;

import java.util.Objects;

/** One message of a conversation. */
public record Turn(Role role, String content) {
    public Turn {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }
}
