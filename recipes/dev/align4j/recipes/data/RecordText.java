package dev.align4j.recipes.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** The text of a record used for duplicate detection: its string leaves, in document order, one per line. */
final class RecordText {
  private RecordText() {
  }

  /** All string leaves of {@code record}, or only those under the given top-level {@code fields} (null = all). */
  static String of(ObjectNode record, List<String> fields) {
    StringBuilder sb = new StringBuilder();
    if (fields == null || fields.isEmpty()) {
      collect(record, sb);
    } else {
      for (String f : fields) {
        JsonNode v = record.get(f);
        if (v != null) {
          collect(v, sb);
        }
      }
    }
    return sb.toString();
  }

  private static void collect(JsonNode n, StringBuilder sb) {
    if (n.isTextual()) {
      if (sb.length() > 0) {
        sb.append('\n');
      }
      sb.append(n.textValue());
    } else if (n.isContainerNode()) {
      for (JsonNode c : n) {
        collect(c, sb);
      }
    }
  }
}
