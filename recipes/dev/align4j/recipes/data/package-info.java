/** The {@code align4j data} command line: validate, clean, dedup, split. */
package dev.align4j.recipes.data;
