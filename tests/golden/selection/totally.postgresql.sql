SELECT 'COR' AS sydtyp, CAST(correspond.cornum AS VARCHAR) AS sydkey, correspond.upddattim AS upd 
FROM correspond 
WHERE (correspond.cornum COLLATE "C") >= 'K1' AND (correspond.cornum COLLATE "C") <= 'K9'
