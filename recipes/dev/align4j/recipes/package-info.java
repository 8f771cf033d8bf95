/**
 * The align4j command line, the stage mains and the YAML recipes, on top of every stage.
 */
package dev.align4j.recipes;
