package longlive.world;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes natural-language prompts for a scene, with enough paraphrase variety (five sentence templates,
 * synonyms for every colour, shape, size, motion and background) that a text encoder has to learn what the
 * words mean rather than one template. Every caption states every attribute of every object and the background.
 * Deterministic for a given seed.
 */
public final class Captioner {
    private Captioner() {
    }

    public static String caption(SceneSpec scene, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int template = rng.nextInt(5);
        List<String> clauses = new ArrayList<>();
        boolean terse = template == 1;
        for (ObjectSpec o : scene.objects()) clauses.add(terse ? shortObject(o, rng) : longObject(o, rng, template == 3));
        String objects = terse ? String.join(", ", clauses) : join(clauses);
        String bg = terse ? shortBackground(scene.background(), rng) : longBackground(scene.background(), rng);
        return switch (template) {
            case 0 -> objects + " over " + bg;
            case 1 -> objects + ", " + bg;
            case 2 -> "On " + bg + ", " + objects + ".";
            case 3 -> objects + ", set against " + bg;
            default -> capitalize(bg) + ": " + objects;
        };
    }

    private static String longObject(ObjectSpec o, SplittableRandom rng, boolean relative) {
        String size = pick(o.size().words(), rng), color = pick(o.color().words(), rng), shape = pick(o.shape().words(), rng);
        String motion = o.motion().phrases().get(rng.nextInt(o.motion().phrases().size() - 1));
        String article = startsWithVowel(size) ? "an " : "a ";
        return article + size + " " + color + " " + shape + (relative ? " that " : " ") + motion;
    }

    private static String shortObject(ObjectSpec o, SplittableRandom rng) {
        List<String> ph = o.motion().phrases();
        return pick(o.size().words(), rng) + " " + pick(o.color().words(), rng) + " " + pick(o.shape().words(), rng) + " "
                + ph.get(ph.size() - 1);
    }

    private static String longBackground(Background b, SplittableRandom rng) {
        String c1 = pick(b.first().words(), rng), c2 = pick(b.second().words(), rng);
        String pan = b.panning() ? pick(List.of("slowly panning ", "scrolling ", "slowly sliding "), rng) : "";
        String body = switch (b.kind()) {
            case SOLID -> pick(List.of(c1 + " background", "plain " + c1 + " backdrop", c1 + " backdrop"), rng);
            case GRADIENT -> pick(List.of("gradient from " + c1 + " at the top to " + c2 + " at the bottom",
                    c1 + "-to-" + c2 + " gradient background", "background fading from " + c1 + " down to " + c2), rng);
            case STRIPES -> pick(List.of(pan + c1 + " and " + c2 + " striped background", pan + "background of " + c1 + " and " + c2
                    + " vertical stripes", pan + c1 + " and " + c2 + " stripes"), rng);
            case CHECKER -> pick(List.of(pan + c1 + " and " + c2 + " checkerboard", pan + "checkered " + c1 + " and " + c2
                    + " background", pan + c1 + " and " + c2 + " checker pattern"), rng);
        };
        return (startsWithVowel(body) ? "an " : "a ") + body;
    }

    private static String shortBackground(Background b, SplittableRandom rng) {
        String c1 = pick(b.first().words(), rng), c2 = pick(b.second().words(), rng);
        String pan = b.panning() ? "panning " : "";
        return switch (b.kind()) {
            case SOLID -> c1 + " " + pick(List.of("backdrop", "background", "bg"), rng);
            case GRADIENT -> c1 + "/" + c2 + " gradient";
            case STRIPES -> pan + c1 + "/" + c2 + " stripes";
            case CHECKER -> pan + c1 + "/" + c2 + " checkerboard";
        };
    }

    private static String join(List<String> clauses) {
        if (clauses.size() == 1) return clauses.get(0);
        return String.join(", ", clauses.subList(0, clauses.size() - 1)) + " and " + clauses.get(clauses.size() - 1);
    }

    private static String pick(List<String> words, SplittableRandom rng) {
        return words.get(rng.nextInt(words.size()));
    }

    private static boolean startsWithVowel(String s) {
        return !s.isEmpty() && "aeiou".indexOf(Character.toLowerCase(s.charAt(0))) >= 0;
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
