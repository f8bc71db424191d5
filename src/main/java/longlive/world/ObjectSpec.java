package longlive.world;

/**
 * The prompt-level description of one object in a segment, plus what the renderer needs to place it exactly.
 *
 * @param id      identity across segments: an object keeps its position and velocity when a switch changes its
 *                other attributes; a new id adds an object
 * @param x       spawn position (frame-short-side units from the left), used when the object first appears or
 *                after a cut; ignored while the object continues
 * @param y       spawn position from the top
 * @param heading direction of travel in degrees for {@link Motion#BOUNCING} (0 = right, 90 = down)
 */
public record ObjectSpec(int id, Shape shape, NamedColor color, SizeClass size, Motion motion, double x, double y, double heading) {
    public ObjectSpec {
        if (id < 0) throw new IllegalArgumentException("object id must be >= 0, got " + id);
        if (shape == null || color == null || size == null || motion == null) {
            throw new IllegalArgumentException("object " + id + " needs shape, color, size and motion");
        }
        if (color.role() != NamedColor.Role.OBJECT) throw new IllegalArgumentException("object colour must be an object colour, got " + color.id());
        if (motion == Motion.SPINNING && shape.isRound()) {
            throw new IllegalArgumentException("a " + shape.id() + " cannot visibly spin (object " + id + ")");
        }
        if (!Double.isFinite(x) || !Double.isFinite(y) || !Double.isFinite(heading)) {
            throw new IllegalArgumentException("object " + id + " has a non-finite position or heading");
        }
    }

    public ObjectSpec withColor(NamedColor c) {
        return new ObjectSpec(id, shape, c, size, motion, x, y, heading);
    }

    public ObjectSpec withMotion(Motion m) {
        return new ObjectSpec(id, shape, color, size, m, x, y, heading);
    }

    public ObjectSpec withSize(SizeClass s) {
        return new ObjectSpec(id, shape, color, s, motion, x, y, heading);
    }

    public ObjectSpec withShape(Shape s) {
        return new ObjectSpec(id, s, color, size, motion, x, y, heading);
    }
}
