package longlive.world;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import longlive.video.Frame;
import longlive.video.FrameSink;

/** Renders the ground-truth video of a script: simulate and draw every frame, streaming or into memory. */
public final class GroundTruth {
    private GroundTruth() {
    }

    /** Streams all frames of the script at width x height into {@code sink} (constant memory). */
    public static void render(Script script, int width, int height, FrameSink sink) throws IOException {
        int total = requireLength(script);
        WorldSim sim = new WorldSim(script);
        Renderer r = new Renderer(width, height);
        Frame f = Frame.black(width, height);
        for (int i = 0; i < total; i++) {
            if (i > 0) sim.advance();
            r.render(sim, f);
            sink.write(f);
        }
    }

    /** All frames in memory (3 * width * height bytes each). */
    public static List<Frame> frames(Script script, int width, int height) {
        int total = requireLength(script);
        List<Frame> out = new ArrayList<>(total);
        WorldSim sim = new WorldSim(script);
        Renderer r = new Renderer(width, height);
        for (int i = 0; i < total; i++) {
            if (i > 0) sim.advance();
            out.add(r.render(sim));
        }
        return out;
    }

    private static int requireLength(Script script) {
        if (script.totalFrames() < 1) throw new IllegalArgumentException("script has no length_seconds, so its video length is unknown");
        return script.totalFrames();
    }
}
