package longlive.text.tokenizer;

/**
 * A prompt as the text encoder receives it ({@code input_ids, attention_mask} of Wan's tokenizer call).
 *
 * @param ids       {@code [text_len]} token ids, {@code <pad>} after the sequence
 * @param mask      {@code [text_len]} 1 for real tokens (special tokens included), 0 for padding
 * @param length    number of real tokens ({@code </s>} included)
 * @param truncated true when the prompt had more tokens than fit and its tail was dropped
 */
public record TokenizedPrompt(long[] ids, long[] mask, int length, boolean truncated) {}
