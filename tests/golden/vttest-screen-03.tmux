12345678901234567890123456789012345678901234567890123456789012345678901234567890
123456789012345678901234567890123456789012345678901
  This is 132 column mode, light background.
   This is 132 column mode, light background.
    This is 132 column mode, light background.
     This is 132 column mode, light background.
      This is 132 column mode, light background.
       This is 132 column mode, light background.
        This is 132 column mode, light background.
         This is 132 column mode, light background.
          This is 132 column mode, light background.
           This is 132 column mode, light background.
            This is 132 column mode, light background.
             This is 132 column mode, light background.
              This is 132 column mode, light background.
               This is 132 column mode, light background.
                This is 132 column mode, light background.
                 This is 132 column mode, light background.
                  This is 132 column mode, light background.
                   This is 132 column mode, light background.Push <RETURN>




cursor=74,19 visible=1 alt=0 region=0-23 origin=0 wrap=1 insert=0 ckm=0 kp=0 mouse=00000
