package longlive.io;

/**
 * A checkpoint file is malformed, truncated, unsafe, unreadable (or unwritable), or does not hold what the
 * caller requires. The message names the file and the problem. It is an {@link IllegalArgumentException} (bad
 * input, not a bug) so the CLI prints it as one line.
 */
public final class CheckpointException extends IllegalArgumentException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
