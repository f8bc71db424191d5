package longlive.dit;

/**
 * How the causal model places self-attention keys and queries on the RoPE time axis.
 * <ul>
 *   <li>{@link Absolute} ({@code wan/modules/causal_model.py}): a token of latent frame n is rotated by position n;
 *       keys are cached already rotated. Positions are capped by the 1024-row RoPE table, so a stream ends at 1024
 *       latent frames (about 256 s of video).</li>
 *   <li>{@link Relative} ({@code wan/modules/causal_model_infinity.py}, "Block-Relativistic RoPE"): keys are cached
 *       unrotated and every call rotates cache slot i by position i and the queries by their slot positions, so
 *       positions never exceed the window and the stream has no length limit.</li>
 * </ul>
 */
public sealed interface RopeMode permits RopeMode.Absolute, RopeMode.Relative {
    RopeMode ABSOLUTE = new Absolute();
    RopeMode RELATIVE = new Relative();

    /** Absolute frame positions; keys cached rotated. */
    record Absolute() implements RopeMode {}

    /** Positions relative to the cache window; keys cached unrotated. */
    record Relative() implements RopeMode {}

    /** {@code "absolute"} or {@code "relative"} (the golden cases' {@code rope_mode}). */
    static RopeMode parse(String name) {
        return switch (name) {
            case "absolute" -> ABSOLUTE;
            case "relative", "infinity" -> RELATIVE;
            default -> throw new IllegalArgumentException("rope_mode must be 'absolute' or 'relative', got '" + name + "'");
        };
    }
}
