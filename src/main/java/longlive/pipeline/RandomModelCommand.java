package longlive.pipeline;

import java.nio.file.Path;
import longlive.kernel.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code longlive random-model tiny|real DIR}: writes a random-weight model directory (noise; for tests and timing). */
@Command(name = "random-model", mixinStandardHelpOptions = true,
        description = "Write a model directory with random weights (tiny or real sizes) for testing and timing.")
public final class RandomModelCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(index = "0", description = "tiny or real") String size;
    @Parameters(index = "1", description = "output directory") Path dir;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--height", defaultValue = "0", description = "video height (default tiny 64, real 480)") int height;
    @Option(names = "--width", defaultValue = "0", description = "video width (default tiny 64, real 832)") int width;

    @Override
    public Integer call() throws Exception {
        long t = System.nanoTime();
        try (Parallel par = Parallel.allCores()) {
            RandomModel.write(dir, size, seed, height, width, par);
        }
        System.err.printf("random-model: %s written to %s in %.1f s (random weights: generates noise)%n", size, dir,
                (System.nanoTime() - t) * 1e-9);
        return 0;
    }
}
