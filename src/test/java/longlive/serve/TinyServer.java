package longlive.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import longlive.kernel.Parallel;
import longlive.pipeline.ModelDirectory;
import longlive.pipeline.PromptScript;
import longlive.pipeline.RandomModel;
import longlive.pipeline.VideoPipeline;
import longlive.video.Frame;
import longlive.video.FrameSink;

/** The tests' model: the tiny random model (64x64), written and loaded once per JVM. */
final class TinyServer {
    private static VideoPipeline pipeline;

    private TinyServer() {
    }

    static synchronized VideoPipeline pipeline() throws IOException {
        if (pipeline == null) {
            Path dir = Files.createTempDirectory("serve-test-model");
            RandomModel.write(dir, "tiny", 0, 0, 0, Parallel.serial());
            // two workers: what the test machines have; the kernels' pool lives as long as the JVM
            pipeline = new VideoPipeline(ModelDirectory.open(dir), new Parallel(2));
            // the first blocks of a JVM run interpreted (~10 s on a loaded 2-core machine): warm up once here so the
            // tests' time limits measure the server, not the JIT
            pipeline.run(PromptScript.of("warm up"), 30, 0, new FrameSink() {
                @Override
                public void write(Frame frame) {
                }

                @Override
                public void close() {
                }
            }, null, null);
        }
        return pipeline;
    }

    /** A server on a free port: unpaced (as fast as the machine goes) unless {@code realtime}. */
    static ServeServer start(int maxSessions, boolean realtime) throws IOException {
        return ServeServer.start(pipeline(), ServeConfig.defaults().withPort(0).withMaxSessions(maxSessions)
                .withRealtime(realtime));
    }
}
