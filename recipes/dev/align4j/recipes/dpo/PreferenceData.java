package dev.align4j.recipes.dpo;

import dev.align4j.dpo.DpoPair;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Reads a recipe's preference data into tokenised pairs. */
final class PreferenceData {
  private PreferenceData() {}

  static List<DpoPair> pairs(Path file, Tokenizer tok, DpoRecipe r, Path modelDir, String tag) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "dataset not found");
    }
    var first = JsonRecords.readAll(file).stream().findFirst();
    if (first.isEmpty()) {
      throw new IllegalArgumentException(file + ": no records");
    }
    if (TokenizedPairs.isTokenized(first.get().value())) {
      return TokenizedPairs.read(file, tok.vocabSize());
    }
    throw new IllegalArgumentException(file + ":" + first.get().line()
        + ": text preference data is not supported yet; give prompt_ids/chosen_ids/rejected_ids");
  }
}
