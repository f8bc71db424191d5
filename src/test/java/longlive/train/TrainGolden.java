package longlive.train;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import longlive.dit.Golden;
import longlive.io.SafeTensors;
import longlive.io.StateDict;

/** Loads a training golden case (src/test/resources/golden/train/NAME.safetensors, made by make_train_cases.py). */
final class TrainGolden {
    private TrainGolden() {}

    static StateDict load(String name) {
        URL u = TrainGolden.class.getResource("/golden/train/" + name + ".safetensors");
        if (u == null) throw new AssertionError("golden/train/" + name + ".safetensors is missing from the test resources");
        try {
            return SafeTensors.load(Path.of(u.toURI()));
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    static float[] f(StateDict d, String name) {
        return d.tensor(name).data();
    }

    static double rel(float[] ours, float[] ref) {
        return Golden.relError(ours, ref);
    }
}
