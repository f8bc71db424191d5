package longlive.dit;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates golden reference cases (src/test/resources/golden) and compares tensors the way the issue defines. */
public final class Golden {
    private Golden() {}

    /** The directory of golden case {@code rel} (e.g. "dit/no_switch"); fails if it is not there. */
    public static Path dir(String rel) {
        URL u = Golden.class.getResource("/golden/" + rel);
        if (u == null) throw new AssertionError("golden case golden/" + rel + " is missing from the test resources");
        try {
            Path p = Path.of(u.toURI());
            if (!Files.isDirectory(p)) throw new AssertionError(p + " is not a directory");
            return p;
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** max|ours - ref| / max|ref| over {@code n} elements. */
    public static double relError(float[] ours, int oOff, float[] ref, int rOff, int n) {
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < n; i++) {
            double a = ours[oOff + i], b = ref[rOff + i];
            if (!Double.isFinite(a)) return Double.POSITIVE_INFINITY;
            maxDiff = Math.max(maxDiff, Math.abs(a - b));
            maxRef = Math.max(maxRef, Math.abs(b));
        }
        return maxRef == 0 ? (maxDiff == 0 ? 0 : Double.POSITIVE_INFINITY) : maxDiff / maxRef;
    }

    public static double relError(float[] ours, float[] ref) {
        if (ours.length != ref.length)
            throw new AssertionError("length " + ours.length + " vs reference " + ref.length);
        return relError(ours, 0, ref, 0, ref.length);
    }
}
