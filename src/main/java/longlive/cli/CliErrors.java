package longlive.cli;

import picocli.CommandLine;

/**
 * Turns exceptions that describe bad input (corrupt checkpoints, malformed scripts, shape mismatches)
 * into one clear line on stderr instead of a stack trace; unexpected errors keep their trace.
 */
final class CliErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (ex instanceof UserFacingException || ex instanceof IllegalArgumentException
                || ex instanceof java.io.IOException) {
            cmd.getErr().println("longlive " + cmd.getCommandName() + ": " + ex.getMessage());
            if (System.getenv("LONGLIVE_TRACE") != null) ex.printStackTrace(cmd.getErr());
            return 2;
        }
        ex.printStackTrace(cmd.getErr());
        return 1;
    }
}
