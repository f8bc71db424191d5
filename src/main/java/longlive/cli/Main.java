package longlive.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code longlive} command line: one subcommand per job (benchmark, replay, generate, serve, ...).
 * Each subcommand lives next to the stage it drives and is registered here.
 */
@Command(name = "longlive",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Real-time, interactive, long video generation (LongLive) on the JVM.",
        subcommands = {
                CommandLine.HelpCommand.class,
                ConvertCommand.class,
                longlive.world.WorldCommand.class,
                longlive.eval.EvalCommand.class,
                longlive.stream.ReplayCommand.class,
                longlive.stream.ModelBenchCommand.class,
                longlive.bench.BenchCommand.class,
                longlive.text.EncodePromptCommand.class,
                longlive.pipeline.GenerateCommand.class,
                longlive.pipeline.RandomModelCommand.class,
                longlive.train.TrainCommand.class,
                longlive.serve.ServeCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        int code = new CommandLine(new Main())
                .setExecutionExceptionHandler(new CliErrors())
                .execute(args);
        System.exit(code);
    }

    /** Reports the jar's version (from the Maven build) or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"longlive " + (v == null ? "dev" : v)
                    + " (Java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " cores)"};
        }
    }
}
