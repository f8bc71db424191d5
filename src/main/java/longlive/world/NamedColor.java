package longlive.world;

import java.util.List;
import java.util.Locale;

/**
 * The named colours of the world. Object colours are saturated or bright; background colours are dark or pale
 * so objects always stand out. The metrics name a measured colour by the nearest entry (in CIELAB) of the
 * matching role.
 */
public enum NamedColor {
    RED(Role.OBJECT, 220, 40, 40, "red", "crimson", "scarlet"),
    ORANGE(Role.OBJECT, 245, 140, 30, "orange", "tangerine", "amber"),
    YELLOW(Role.OBJECT, 245, 225, 40, "yellow", "golden", "lemon"),
    GREEN(Role.OBJECT, 50, 190, 70, "green", "emerald", "lime green"),
    CYAN(Role.OBJECT, 40, 210, 225, "cyan", "turquoise", "aqua"),
    BLUE(Role.OBJECT, 50, 100, 245, "blue", "azure", "cobalt"),
    PURPLE(Role.OBJECT, 150, 70, 220, "purple", "violet", "lavender"),
    PINK(Role.OBJECT, 245, 120, 190, "pink", "rose", "magenta"),
    WHITE(Role.OBJECT, 245, 245, 245, "white", "snow-white", "ivory"),

    NAVY(Role.BACKGROUND, 20, 30, 80, "dark blue", "navy", "midnight blue"),
    BLACK(Role.BACKGROUND, 10, 10, 10, "black", "pitch-black", "jet black"),
    CHARCOAL(Role.BACKGROUND, 60, 60, 66, "dark gray", "charcoal", "slate"),
    FOREST(Role.BACKGROUND, 15, 65, 30, "dark green", "forest green", "deep green"),
    MAROON(Role.BACKGROUND, 75, 15, 20, "maroon", "dark red", "burgundy"),
    PLUM(Role.BACKGROUND, 60, 25, 75, "plum", "dark purple", "aubergine"),
    BROWN(Role.BACKGROUND, 90, 55, 25, "brown", "chocolate", "coffee"),
    CREAM(Role.BACKGROUND, 235, 225, 195, "cream", "beige", "off-white"),
    LIGHT_GRAY(Role.BACKGROUND, 195, 198, 205, "light gray", "silver", "pale gray");

    /** What a colour may be used for. */
    public enum Role { OBJECT, BACKGROUND }

    private final Role role;
    private final int r;
    private final int g;
    private final int b;
    private final List<String> words;

    NamedColor(Role role, int r, int g, int b, String... words) {
        this.role = role;
        this.r = r;
        this.g = g;
        this.b = b;
        this.words = List.of(words);
    }

    public Role role() {
        return role;
    }

    public int r() {
        return r;
    }

    public int g() {
        return g;
    }

    public int b() {
        return b;
    }

    /** The canonical name first, then synonyms used by captions. */
    public List<String> words() {
        return words;
    }

    /** Pale background: bright object colours (white, yellow, cyan) are not placed on it. */
    public boolean isLight() {
        return 0.299 * r + 0.587 * g + 0.114 * b > 150;
    }

    /** JSON / CLI name, e.g. "light_gray". */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static NamedColor fromId(String id) {
        try {
            return valueOf(id.trim().toUpperCase(Locale.ROOT).replace(' ', '_').replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown colour '" + id + "'; known: " + List.of(values()).stream().map(NamedColor::id).toList());
        }
    }

    public static List<NamedColor> ofRole(Role role) {
        return List.of(values()).stream().filter(c -> c.role == role).toList();
    }

    /** Whether an object of colour {@code object} is clearly visible on background colour {@code this}. */
    public boolean contrastsWith(NamedColor object) {
        if (!isLight()) return true;
        return object != WHITE && object != YELLOW && object != CYAN && object != ORANGE && object != PINK;
    }
}
